import type { InputMode } from './settings';

/**
 * Whether the microphone transmits: not when muted or deafened (deafen mutes too, as on
 * Discord), and in push-to-talk mode only while the key is held. The browser only sees keys while
 * the tab has focus, so losing focus counts as releasing the key (else the mic would stay open).
 */
export class TransmitGate {
  private held = false;

  constructor(
    private mode: InputMode,
    private key: string,
    private muted = false,
    private deafened = false,
  ) {}

  get transmitting(): boolean {
    return !this.muted && !this.deafened && (this.mode === 'voice-activity' || this.held);
  }

  get keyHeld(): boolean {
    return this.held;
  }

  /** Each method returns whether `transmitting` changed. */
  keyDown(code: string, repeat = false): boolean {
    if (repeat || code !== this.key || this.held) return false;
    return this.change(() => (this.held = true));
  }

  keyUp(code: string): boolean {
    if (code !== this.key || !this.held) return false;
    return this.change(() => (this.held = false));
  }

  blur(): boolean {
    return this.change(() => (this.held = false));
  }

  configure(mode: InputMode, key: string): boolean {
    return this.change(() => {
      if (key !== this.key) this.held = false;
      this.mode = mode;
      this.key = key;
    });
  }

  setMuted(muted: boolean, deafened: boolean): boolean {
    return this.change(() => {
      this.muted = muted;
      this.deafened = deafened;
    });
  }

  private change(fn: () => void): boolean {
    const before = this.transmitting;
    fn();
    return before !== this.transmitting;
  }
}
