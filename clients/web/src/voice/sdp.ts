import type { VoiceOffer } from '@together/shared';

/** One m-line of the server's offer, as the client needs it. */
export interface OfferedMedia {
  mid: string;
  /** 0 for a retired m-line (RFC 8843 §7.3: rejected, recycled by a later offer). */
  port: number;
  direction: 'sendonly' | 'recvonly' | 'sendrecv' | 'inactive';
  /** Whose audio this m-line carries: the SFU names the stream `u<user id>` (cname and msid). */
  userId: string | null;
}

export interface OfferInfo {
  /** The server peer's ICE ufrag: a new one means a new server-side peer, so a new RTCPeerConnection. */
  ufrag: string | null;
  media: OfferedMedia[];
}

/** Reads what the client needs from the SFU's offer: its ICE ufrag and who each m-line carries. */
export function parseOffer(sdp: string): OfferInfo {
  let ufrag: string | null = null;
  const media: OfferedMedia[] = [];
  let current: OfferedMedia | null = null;
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('m=')) {
      const port = Number(line.split(' ')[1] ?? 0);
      current = { mid: '', port, direction: 'sendrecv', userId: null };
      media.push(current);
    } else if (line.startsWith('a=ice-ufrag:')) {
      ufrag ??= line.slice('a=ice-ufrag:'.length);
    } else if (current) {
      if (line.startsWith('a=mid:')) current.mid = line.slice(6);
      else if (line === 'a=sendonly' || line === 'a=recvonly' || line === 'a=sendrecv' || line === 'a=inactive') current.direction = line.slice(2) as OfferedMedia['direction'];
      else if (line.startsWith('a=msid:')) current.userId ??= userFromStream(line.slice(7).split(' ')[0]);
      else if (/^a=ssrc:\d+ cname:/.test(line)) current.userId ??= userFromStream(line.split('cname:')[1]);
    }
  }
  return { ufrag, media };
}

function userFromStream(id: string | undefined): string | null {
  const m = /^u(\d+)$/.exec(id?.trim() ?? '');
  return m ? m[1] : null;
}

export type OfferDecision = 'new-connection' | 'renegotiate' | 'stale';

/**
 * Which offers to act on. The SFU re-offers on every join or leave with a higher `revision`; a
 * move to another channel (or a rejoin after a new gateway session) creates a new server-side
 * peer whose revisions start again at 1 with a new ICE ufrag. Offers are handled one at a time,
 * so an older revision arriving late is skipped rather than undoing a newer one.
 */
export class OfferTracker {
  private ufrag: string | null = null;
  private revision = 0;

  decide(offer: Pick<VoiceOffer, 'sdp' | 'revision'>): OfferDecision {
    const { ufrag } = parseOffer(offer.sdp);
    if (this.ufrag === null || ufrag !== this.ufrag) {
      this.ufrag = ufrag;
      this.revision = offer.revision;
      return 'new-connection';
    }
    if (offer.revision <= this.revision) return 'stale';
    this.revision = offer.revision;
    return 'renegotiate';
  }

  reset() {
    this.ufrag = null;
    this.revision = 0;
  }
}
