import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { Channel, Snowflake, VoiceState } from '@together/shared';
import { useSession } from '../context';
import { useCollection } from '../state/collection';
import { channelPermissions, P } from '../permissions';
import { keyLabel, MAX_VOLUME, type VoiceSettings } from '../voice/settings';
import { Playback } from '../voice/playback';
import type { VoiceSnapshot } from '../voice/controller';
import { Modal } from './Dialogs';
import { GearIcon, HangUpIcon, HeadphonesIcon, HeadphonesOffIcon, MicIcon, MicOffIcon, SignalIcon } from './icons';

export function useVoice(): VoiceSnapshot {
  const { voice } = useSession();
  return useSyncExternalStore(voice.subscribe, voice.getSnapshot);
}

const STATUS_TEXT: Record<VoiceSnapshot['status'], string> = {
  idle: 'Not connected',
  acquiring: 'Waiting for microphone…',
  connecting: 'Connecting…',
  connected: 'Voice Connected',
  reconnecting: 'Reconnecting…',
  failed: 'Voice Disconnected',
};

/** The people in one voice channel, under it in the sidebar: avatar with speaking ring, name, mute/deafen icons. */
export function VoiceParticipants({ guildId, channel }: { guildId: Snowflake; channel: Channel }) {
  const session = useSession();
  const { data } = session;
  useCollection(data.voiceStates);
  useCollection(data.speaking);
  useCollection(data.members);
  useCollection(data.users);
  const voice = useVoice();
  const [volumeFor, setVolumeFor] = useState<Snowflake | null>(null);
  const people = data.voiceMembers(guildId, channel.id);
  if (!people.length) return null;
  const speaking = data.speaking.get(guildId);
  const row = (v: VoiceState) => {
    const self = v.user_id === data.selfId;
    // My own ring comes from my microphone's level at once; others' from the server's VOICE_SPEAKING.
    const isSpeaking = self && voice.channelId === channel.id
      ? voice.localSpeaking || (!!speaking?.has(v.user_id) && voice.transmitting)
      : !!speaking?.has(v.user_id);
    const muted = v.self_mute || v.mute;
    const deaf = v.self_deaf || v.deaf;
    const name = data.displayName(v.user_id, guildId);
    const label = `${name}${isSpeaking ? ', speaking' : ''}${deaf ? ', deafened' : muted ? ', muted' : ''}`;
    return (
      <li key={v.user_id} className="voice-member" data-user-id={v.user_id} data-speaking={isSpeaking} data-muted={muted} data-deafened={deaf}>
        <button
          className="voice-member-button"
          aria-label={self ? label : `${label}: user volume`}
          aria-haspopup={self ? undefined : 'dialog'}
          disabled={self}
          onClick={() => setVolumeFor(volumeFor === v.user_id ? null : v.user_id)}
          onContextMenu={(e) => {
            if (self) return;
            e.preventDefault();
            setVolumeFor(v.user_id);
          }}
        >
          <span className={`avatar small${isSpeaking ? ' speaking' : ''}`} aria-hidden="true">{[...name][0]?.toUpperCase()}</span>
          <span className="voice-member-name">{name}</span>
          {muted && !deaf && <span className="voice-flag" title={v.mute ? 'Server muted' : 'Muted'}><MicOffIcon /></span>}
          {deaf && <span className="voice-flag" title={v.deaf ? 'Server deafened' : 'Deafened'}><HeadphonesOffIcon /></span>}
        </button>
        {volumeFor === v.user_id && <VolumePopover userId={v.user_id} name={name} onClose={() => setVolumeFor(null)} />}
      </li>
    );
  };
  return <ul className="voice-members" aria-label={`In ${channel.name}`}>{people.map(row)}</ul>;
}

/** Per-user volume, 0–200 %, remembered per user (Web Audio gain, beyond what audio.volume allows). */
function VolumePopover({ userId, name, onClose }: { userId: Snowflake; name: string; onClose: () => void }) {
  const { voice } = useSession();
  const prefs = voice.prefs;
  const value = useSyncExternalStore(prefs.subscribe, () => prefs.volume(userId));
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector('input')?.focus();
    // Clicks on the participant's own row toggle the popover through its button instead.
    const away = (e: MouseEvent) => !ref.current?.parentElement?.contains(e.target as Node) && onClose();
    document.addEventListener('mousedown', away);
    return () => document.removeEventListener('mousedown', away);
  }, []);
  const set = (v: number) => {
    prefs.setVolume(userId, v);
    voice.volumeChanged(userId);
  };
  return (
    <div className="volume-popover" role="dialog" aria-label={`Volume of ${name}`} ref={ref} onKeyDown={(e) => e.key === 'Escape' && onClose()}>
      <label>
        User Volume <output>{value}%</output>
        <input type="range" min={0} max={MAX_VOLUME} step={1} value={value} aria-label={`User volume of ${name}`} onChange={(e) => set(Number(e.target.value))} />
      </label>
      <div className="row end">
        <button onClick={() => set(100)} disabled={value === 100}>Reset</button>
        <button onClick={() => set(value === 0 ? 100 : 0)}>{value === 0 ? 'Unmute' : 'Mute for me'}</button>
      </div>
    </div>
  );
}

/** Can I join this voice channel? (CONNECT, as the server checks: it ignores a join it refuses.) */
export function canConnect(data: ReturnType<typeof useSession>['data'], channel: Channel): boolean {
  return !!data.selfId && (channelPermissions(data, channel, data.selfId) & P.CONNECT) === P.CONNECT;
}

/** Above the user panel while in (or trying to join) a call, or showing why joining failed. */
export function VoicePanel() {
  const session = useSession();
  const { data, voice } = session;
  useCollection(data.channels);
  useCollection(data.guilds);
  const v = useVoice();
  const settings = useSyncExternalStore(voice.prefs.subscribe, () => voice.prefs.settings);
  const channel = v.channelId ? data.channels.get(v.channelId) : undefined;
  const guild = v.guildId ? data.guilds.get(v.guildId) : undefined;
  if (v.status === 'idle' && !v.error) return null;
  const q = v.quality;
  return (
    <section className={`voice-panel voice-${v.status}`} aria-label="Voice connection">
      {v.error && (
        <div className="voice-error" role="alert">
          <p>{v.error.message}</p>
          <div className="row end">
            {v.error.retry && <button className="primary" onClick={() => voice.retry()}>Retry</button>}
            <button onClick={() => voice.dismissError()}>Dismiss</button>
          </div>
        </div>
      )}
      {v.status !== 'idle' && v.status !== 'failed' && (
        <div className="voice-status">
          <div className="grow">
            <div className={`voice-state ${v.status}`} role="status" data-testid="voice-status">
              {q && v.status === 'connected' && (
                <span className={`quality ${q.level}`} title={`Round trip ${q.rttMs ?? '?'} ms, packet loss ${q.lossPercent}%`}>
                  <SignalIcon />
                </span>
              )}
              {STATUS_TEXT[v.status]}
            </div>
            <div className="voice-where">{channel?.name ?? '…'}{guild ? ` / ${guild.name}` : ''}</div>
            {q && v.status === 'connected' && (
              <div className="voice-quality" data-testid="voice-quality">{q.rttMs ?? '?'} ms · {q.lossPercent}% loss</div>
            )}
            {settings.inputMode === 'push-to-talk' && !v.selfMute && !v.selfDeaf && (
              <div className="voice-where" data-testid="ptt-hint">{v.transmitting ? 'Transmitting' : <>Hold <kbd>{keyLabel(settings.pushToTalkKey)}</kbd> to talk</>}</div>
            )}
          </div>
          <button className="icon-button danger" aria-label="Disconnect" title="Disconnect" onClick={() => voice.leave()}><HangUpIcon /></button>
        </div>
      )}
    </section>
  );
}

/** Mute, deafen and voice settings, always in the user panel (as on Discord). */
export function VoiceButtons() {
  const { voice } = useSession();
  const v = useVoice();
  const [settings, setSettings] = useState(false);
  const ptt = voice.prefs.settings.inputMode === 'push-to-talk';
  return (
    <>
      <button
        className={`icon-button${v.selfMute || v.selfDeaf ? ' active-off' : ''}`}
        aria-label="Mute"
        aria-pressed={v.selfMute || v.selfDeaf}
        title={v.selfMute || v.selfDeaf ? 'Unmute' : ptt ? `Mute (push to talk: ${keyLabel(voice.prefs.settings.pushToTalkKey)})` : 'Mute'}
        onClick={() => voice.setMute(!(v.selfMute || v.selfDeaf))}
      >
        {v.selfMute || v.selfDeaf ? <MicOffIcon /> : <MicIcon />}
      </button>
      <button
        className={`icon-button${v.selfDeaf ? ' active-off' : ''}`}
        aria-label="Deafen"
        aria-pressed={v.selfDeaf}
        title={v.selfDeaf ? 'Undeafen' : 'Deafen'}
        onClick={() => voice.setDeaf(!v.selfDeaf)}
      >
        {v.selfDeaf ? <HeadphonesOffIcon /> : <HeadphonesIcon />}
      </button>
      <button className="icon-button" aria-label="Voice Settings" title="Voice Settings" onClick={() => setSettings(true)}><GearIcon /></button>
      {settings && <VoiceSettingsDialog onClose={() => setSettings(false)} />}
    </>
  );
}

/** Devices, input mode (voice activity or push to talk), noise suppression, echo cancellation. */
export function VoiceSettingsDialog({ onClose }: { onClose: () => void }) {
  const { voice } = useSession();
  const prefs = voice.prefs;
  const s = useSyncExternalStore(prefs.subscribe, () => prefs.settings);
  const [devices, setDevices] = useState<MediaDeviceInfo[]>([]);
  const [capturing, setCapturing] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  useEffect(() => {
    const md = navigator.mediaDevices;
    if (!md?.enumerateDevices) {
      setNote('This browser does not list audio devices here (voice needs https, or localhost).');
      return;
    }
    const load = () => md.enumerateDevices().then(setDevices, () => undefined);
    load();
    md.addEventListener?.('devicechange', load);
    return () => md.removeEventListener?.('devicechange', load);
  }, []);
  useEffect(() => {
    if (!capturing) return;
    const onKey = (e: KeyboardEvent) => {
      e.preventDefault();
      e.stopPropagation();
      if (e.code !== 'Escape') update({ pushToTalkKey: e.code });
      setCapturing(false);
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [capturing]);
  const update = (patch: Partial<VoiceSettings>) => {
    const before = prefs.settings;
    prefs.update(patch);
    void voice.applySettings(before, prefs.settings);
  };
  const inputs = devices.filter((d) => d.kind === 'audioinput');
  const outputs = devices.filter((d) => d.kind === 'audiooutput');
  // Browsers hide device names until the microphone was allowed once.
  const unnamed = inputs.length > 0 && inputs.every((d) => !d.label);
  return (
    <Modal title="Voice Settings" onClose={onClose}>
      <div className="voice-settings">
        <label>
          Input device
          <select value={s.inputDeviceId} onChange={(e) => update({ inputDeviceId: e.target.value })}>
            <option value="">Default</option>
            {inputs.filter((d) => d.deviceId && d.deviceId !== 'default').map((d, i) => (
              <option key={d.deviceId} value={d.deviceId}>{d.label || `Microphone ${i + 1}`}</option>
            ))}
          </select>
        </label>
        <label>
          Output device
          <select value={s.outputDeviceId} disabled={!Playback.canChooseOutput} onChange={(e) => update({ outputDeviceId: e.target.value })}>
            <option value="">Default</option>
            {outputs.filter((d) => d.deviceId && d.deviceId !== 'default').map((d, i) => (
              <option key={d.deviceId} value={d.deviceId}>{d.label || `Speaker ${i + 1}`}</option>
            ))}
          </select>
        </label>
        {!Playback.canChooseOutput && <p className="hint">This browser plays voice on its default output only.</p>}
        {unnamed && <p className="hint">Device names appear once you have allowed the microphone (join a voice channel once).</p>}
        {note && <p className="hint">{note}</p>}
        <fieldset>
          <legend>Input mode</legend>
          <label className="check">
            <input type="radio" name="input-mode" checked={s.inputMode === 'voice-activity'} onChange={() => update({ inputMode: 'voice-activity' })} />
            Voice activity
          </label>
          <label className="check">
            <input type="radio" name="input-mode" checked={s.inputMode === 'push-to-talk'} onChange={() => update({ inputMode: 'push-to-talk' })} />
            Push to talk
          </label>
          {s.inputMode === 'push-to-talk' && (
            <div className="row wrap">
              <span>Shortcut: <kbd data-testid="ptt-key">{keyLabel(s.pushToTalkKey)}</kbd></span>
              <button onClick={() => setCapturing(true)} aria-live="polite">{capturing ? 'Press a key… (Escape cancels)' : 'Change key'}</button>
              <p className="hint">Push to talk works while this tab has focus.</p>
            </div>
          )}
        </fieldset>
        <fieldset>
          <legend>Voice processing</legend>
          <label className="check">
            <input type="checkbox" checked={s.noiseSuppression} onChange={(e) => update({ noiseSuppression: e.target.checked })} />
            Noise suppression
          </label>
          <label className="check">
            <input type="checkbox" checked={s.echoCancellation} onChange={(e) => update({ echoCancellation: e.target.checked })} />
            Echo cancellation
          </label>
        </fieldset>
        <div className="row end">
          <button className="primary" onClick={onClose}>Done</button>
        </div>
      </div>
    </Modal>
  );
}
