import type { KeyValueStorage, Snowflake } from '@together/shared';

export type InputMode = 'voice-activity' | 'push-to-talk';

/** Voice settings of this browser (devices belong to the machine, not to the account). */
export interface VoiceSettings {
  /** `''` = the system default. */
  inputDeviceId: string;
  outputDeviceId: string;
  inputMode: InputMode;
  /** `KeyboardEvent.code` of the push-to-talk key. */
  pushToTalkKey: string;
  noiseSuppression: boolean;
  echoCancellation: boolean;
  /** Remembered like Discord does, so a reload does not unmute you. */
  selfMute: boolean;
  selfDeaf: boolean;
}

export const DEFAULT_SETTINGS: VoiceSettings = {
  inputDeviceId: '',
  outputDeviceId: '',
  inputMode: 'voice-activity',
  pushToTalkKey: 'Backquote',
  noiseSuppression: true,
  echoCancellation: true,
  selfMute: false,
  selfDeaf: false,
};

export const MAX_VOLUME = 200;
const SETTINGS_KEY = 'together.voice.settings';
const volumesKey = (selfId: string) => `together.voice.volumes.${selfId}`;

/**
 * Voice settings and per-user volumes, kept in localStorage. Unknown or malformed stored values
 * fall back to the defaults field by field, so a setting added later never breaks old storage.
 */
export class VoicePrefs {
  private current: VoiceSettings;
  private volumes: Record<string, number>;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly storage: KeyValueStorage, private readonly selfId: string) {
    this.current = readSettings(storage.getItem(SETTINGS_KEY));
    this.volumes = readVolumes(storage.getItem(volumesKey(selfId)));
  }

  get settings(): VoiceSettings {
    return this.current;
  }

  update(patch: Partial<VoiceSettings>) {
    this.current = { ...this.current, ...patch };
    this.storage.setItem(SETTINGS_KEY, JSON.stringify(this.current));
    this.emit();
  }

  /** Playback volume of one user, in percent (100 = as received). */
  volume(userId: Snowflake): number {
    return this.volumes[userId] ?? 100;
  }

  setVolume(userId: Snowflake, percent: number) {
    const v = clampVolume(percent);
    const next = { ...this.volumes };
    if (v === 100) delete next[userId];
    else next[userId] = v;
    this.volumes = next;
    this.storage.setItem(volumesKey(this.selfId), JSON.stringify(next));
    this.emit();
  }

  subscribe = (l: () => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  private emit() {
    for (const l of [...this.listeners]) l();
  }
}

export function clampVolume(percent: number): number {
  if (!Number.isFinite(percent)) return 100;
  return Math.round(Math.min(MAX_VOLUME, Math.max(0, percent)));
}

function parse(text: string | null): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function readSettings(text: string | null): VoiceSettings {
  const raw = parse(text);
  const out = { ...DEFAULT_SETTINGS };
  if (!raw || typeof raw !== 'object') return out;
  const r = raw as Record<string, unknown>;
  for (const key of Object.keys(DEFAULT_SETTINGS) as Array<keyof VoiceSettings>) {
    if (typeof r[key] === typeof DEFAULT_SETTINGS[key]) (out as Record<string, unknown>)[key] = r[key];
  }
  if (out.inputMode !== 'voice-activity' && out.inputMode !== 'push-to-talk') out.inputMode = DEFAULT_SETTINGS.inputMode;
  if (!out.pushToTalkKey) out.pushToTalkKey = DEFAULT_SETTINGS.pushToTalkKey;
  return out;
}

function readVolumes(text: string | null): Record<string, number> {
  const raw = parse(text);
  const out: Record<string, number> = {};
  if (!raw || typeof raw !== 'object') return out;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) if (typeof v === 'number') out[k] = clampVolume(v);
  return out;
}

/** A readable name for a `KeyboardEvent.code` ("KeyV" → "V", "Backquote" → "`"). */
export function keyLabel(code: string): string {
  if (/^Key[A-Z]$/.test(code)) return code.slice(3);
  if (/^Digit\d$/.test(code)) return code.slice(5);
  const names: Record<string, string> = {
    Backquote: '`', Space: 'Space', ControlLeft: 'Left Ctrl', ControlRight: 'Right Ctrl', ShiftLeft: 'Left Shift',
    ShiftRight: 'Right Shift', AltLeft: 'Left Alt', AltRight: 'Right Alt', CapsLock: 'Caps Lock',
  };
  return names[code] ?? code;
}
