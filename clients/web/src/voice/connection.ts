import type { Snowflake, VoiceOffer } from '@together/shared';
import { parseOffer } from './sdp';

export interface ConnectionHandlers {
  /** RTCPeerConnection.connectionState changes. */
  state: (state: RTCPeerConnectionState) => void;
  /** The remote audio of a user appeared (or its track changed). */
  track: (userId: Snowflake, track: MediaStreamTrack) => void;
  /** A user's m-line was retired: they left. */
  gone: (userId: Snowflake) => void;
}

/**
 * One RTCPeerConnection to the SFU. The server always offers: its first m-line receives our
 * microphone (we answer `sendonly`), every other live m-line sends us one participant (we answer
 * `recvonly`); retired m-lines (port 0) are stopped by the browser on their own.
 */
export class VoiceConnection {
  readonly pc: RTCPeerConnection;
  private mic: MediaStreamTrack | null;
  private readonly users = new Map<string, Snowflake>(); // mid → user id
  private closed = false;

  constructor(offer: VoiceOffer, mic: MediaStreamTrack | null, private readonly on: ConnectionHandlers) {
    this.mic = mic;
    this.pc = new RTCPeerConnection({
      bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require',
      iceServers: (offer.ice_servers ?? []).map((s) => ({ urls: s.urls, username: s.username, credential: s.credential })),
    });
    this.pc.onconnectionstatechange = () => {
      if (!this.closed) this.on.state(this.pc.connectionState);
    };
  }

  /** Applies an offer (the first or a renegotiation) and returns our answer's SDP. */
  async answer(offer: VoiceOffer): Promise<string> {
    const info = parseOffer(offer.sdp);
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    const byMid = new Map(info.media.map((m) => [m.mid, m]));
    const seen = new Set<Snowflake>();
    for (const t of this.pc.getTransceivers()) {
      if (t.currentDirection === 'stopped' || t.direction === 'stopped' || t.mid === null) continue;
      const media = byMid.get(t.mid);
      if (!media || media.port === 0) continue;
      if (media.direction === 'recvonly') {
        // Our microphone's m-line (the server receives).
        t.direction = 'sendonly';
        if (t.sender.track !== this.mic) await t.sender.replaceTrack(this.mic);
      } else {
        t.direction = 'recvonly';
        if (media.userId) {
          this.users.set(t.mid, media.userId);
          seen.add(media.userId);
          this.on.track(media.userId, t.receiver.track);
        }
      }
    }
    for (const [mid, userId] of [...this.users]) {
      if (!seen.has(userId)) {
        this.users.delete(mid);
        this.on.gone(userId);
      }
    }
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    return this.pc.localDescription!.sdp;
  }

  /** Swap the microphone without renegotiating (device or constraint change). */
  async replaceMic(track: MediaStreamTrack | null) {
    this.mic = track;
    for (const t of this.pc.getTransceivers()) {
      if (t.currentDirection === 'stopped' || t.direction === 'stopped') continue;
      if (t.direction === 'sendonly' || t.direction === 'sendrecv') await t.sender.replaceTrack(track);
    }
  }

  getStats() {
    return this.pc.getStats();
  }

  close() {
    this.closed = true;
    for (const userId of this.users.values()) this.on.gone(userId);
    this.users.clear();
    this.pc.onconnectionstatechange = null;
    this.pc.close();
  }
}
