/** Counters read from one `getStats()` report. */
export interface StatsSample {
  at: number;
  /** Seconds, from the selected ICE candidate pair. */
  rtt: number | null;
  packetsReceived: number;
  packetsLost: number;
  /** Loss the server reports for our uplink (RTCP receiver reports), 0..1. */
  uplinkLoss: number | null;
}

export interface Quality {
  rttMs: number | null;
  /** Percent of inbound packets lost since the previous sample (and upstream, whichever is worse). */
  lossPercent: number;
  level: 'good' | 'fair' | 'poor';
}

interface StatLike {
  type: string;
  kind?: string;
  state?: string;
  nominated?: boolean;
  selected?: boolean;
  currentRoundTripTime?: number;
  packetsReceived?: number;
  packetsLost?: number;
  fractionLost?: number;
  roundTripTime?: number;
  id?: string;
  selectedCandidatePairId?: string;
}

/** Sums what matters from an `RTCStatsReport` (anything iterable with `forEach`). */
export function sampleStats(report: { forEach(cb: (s: StatLike) => void): void }, at: number): StatsSample {
  const all: StatLike[] = [];
  report.forEach((s) => all.push(s));
  const transport = all.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
  const pair = transport
    ? all.find((s) => s.type === 'candidate-pair' && s.id === transport.selectedCandidatePairId)
    : all.find((s) => s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated);
  let packetsReceived = 0;
  let packetsLost = 0;
  let uplinkLoss: number | null = null;
  for (const s of all) {
    if (s.type === 'inbound-rtp' && (s.kind ?? 'audio') === 'audio') {
      packetsReceived += s.packetsReceived ?? 0;
      packetsLost += Math.max(0, s.packetsLost ?? 0);
    }
    if (s.type === 'remote-inbound-rtp' && typeof s.fractionLost === 'number') uplinkLoss = Math.max(uplinkLoss ?? 0, s.fractionLost);
  }
  return { at, rtt: pair?.currentRoundTripTime ?? null, packetsReceived, packetsLost, uplinkLoss };
}

/** Quality between two samples; Discord's thresholds are similar (≈ 250 ms RTT, a few % loss). */
export function quality(prev: StatsSample | null, cur: StatsSample): Quality {
  let loss = 0;
  if (prev) {
    const received = cur.packetsReceived - prev.packetsReceived;
    const lost = cur.packetsLost - prev.packetsLost;
    if (received + lost > 0 && lost > 0) loss = (lost / (received + lost)) * 100;
  }
  if (cur.uplinkLoss !== null) loss = Math.max(loss, cur.uplinkLoss * 100);
  const rttMs = cur.rtt === null ? null : Math.round(cur.rtt * 1000);
  const level = (rttMs ?? 0) > 400 || loss > 10 ? 'poor' : (rttMs ?? 0) > 200 || loss > 3 ? 'fair' : 'good';
  return { rttMs, lossPercent: Math.round(loss * 10) / 10, level };
}
