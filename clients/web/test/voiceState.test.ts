import { describe, expect, test } from 'vitest';
import type { GatewayGuild, VoiceState } from '@together/shared';
import { ServerData } from '../src/state/data';
import { applyDispatch } from '../src/state/events';

const G = '100';
const VOICE = '210';
const OTHER = '211';
const vs = (user: string, channel: string | null, extra: Partial<VoiceState> = {}): VoiceState => ({
  guild_id: G, channel_id: channel, user_id: user, session_id: `s${user}`, deaf: false, mute: false, self_deaf: false, self_mute: false, ...extra,
});

function guild(voice: VoiceState[] = []): GatewayGuild {
  return {
    id: G, name: 'Gamers', owner_id: '1',
    channels: [
      { id: '200', type: 0, name: 'general', position: 0 },
      { id: VOICE, type: 2, name: 'General', position: 0 },
      { id: OTHER, type: 2, name: 'Lounge', position: 1 },
    ],
    members: [{ user: { id: '1', username: 'alice' }, roles: [], joined_at: '' }, { user: { id: '2', username: 'bob' }, roles: [], joined_at: '' }],
    presences: [],
    voice_states: voice,
  };
}

function ready(voice: VoiceState[] = []) {
  const d = new ServerData();
  applyDispatch(d, 'READY', { v: 10, user: { id: '1', username: 'alice' }, guilds: [{ id: G }], session_id: 's', resume_gateway_url: '' });
  applyDispatch(d, 'GUILD_CREATE', guild(voice));
  return d;
}

const speakers = (d: ServerData) => [...(d.speaking.get(G) ?? [])].sort();
const names = (d: ServerData, channel: string) => d.voiceMembers(G, channel).map((v) => v.user_id);

describe('voice states from the gateway', () => {
  test('GUILD_CREATE lists who is in which voice channel (the guild object keeps no copy)', () => {
    const d = ready([{ ...vs('2', VOICE), guild_id: undefined }]);
    expect(names(d, VOICE)).toEqual(['2']);
    expect(d.voiceStates.get(G)?.get('2')?.guild_id).toBe(G);
    expect(d.guilds.get(G)).not.toHaveProperty('voice_states');
  });

  test('VOICE_STATE_UPDATE joins, moves, mutes and leaves', () => {
    const d = ready();
    applyDispatch(d, 'VOICE_STATE_UPDATE', vs('2', VOICE));
    applyDispatch(d, 'VOICE_STATE_UPDATE', vs('1', VOICE));
    expect(names(d, VOICE)).toEqual(['2', '1']);
    applyDispatch(d, 'VOICE_STATE_UPDATE', vs('2', VOICE, { self_mute: true }));
    expect(d.voiceStates.get(G)?.get('2')?.self_mute).toBe(true);
    expect(names(d, VOICE)).toEqual(['2', '1']); // an update keeps the order
    applyDispatch(d, 'VOICE_STATE_UPDATE', vs('2', OTHER));
    expect(names(d, VOICE)).toEqual(['1']);
    expect(names(d, OTHER)).toEqual(['2']);
    applyDispatch(d, 'VOICE_STATE_UPDATE', vs('2', null));
    expect(names(d, OTHER)).toEqual([]);
    expect(d.voiceStates.get(G)?.has('2')).toBe(false);
  });

  test('a member object in VOICE_STATE_UPDATE teaches the user, but is not kept in the state', () => {
    const d = ready();
    applyDispatch(d, 'VOICE_STATE_UPDATE', { ...vs('3', VOICE), member: { user: { id: '3', username: 'carol' }, roles: [], joined_at: '' } });
    expect(d.users.get('3')?.username).toBe('carol');
    expect(d.voiceStates.get(G)?.get('3')).not.toHaveProperty('member');
  });

  test('VOICE_SPEAKING lights and clears rings; leaving or moving clears them; a late one for someone gone is ignored', () => {
    const d = ready([vs('2', VOICE), vs('1', VOICE)]);
    applyDispatch(d, 'VOICE_SPEAKING', { guild_id: G, channel_id: VOICE, user_id: '2', speaking: true });
    applyDispatch(d, 'VOICE_SPEAKING', { guild_id: G, channel_id: VOICE, user_id: '1', speaking: true });
    expect(speakers(d)).toEqual(['1', '2']);
    applyDispatch(d, 'VOICE_SPEAKING', { guild_id: G, channel_id: VOICE, user_id: '1', speaking: false });
    expect(speakers(d)).toEqual(['2']);
    applyDispatch(d, 'VOICE_STATE_UPDATE', vs('2', OTHER));
    expect(speakers(d)).toEqual([]);
    applyDispatch(d, 'VOICE_SPEAKING', { guild_id: G, channel_id: OTHER, user_id: '2', speaking: true });
    applyDispatch(d, 'VOICE_STATE_UPDATE', vs('2', null));
    expect(speakers(d)).toEqual([]);
    applyDispatch(d, 'VOICE_SPEAKING', { guild_id: G, channel_id: OTHER, user_id: '2', speaking: true });
    expect(speakers(d)).toEqual([]);
  });

  test('a fresh GUILD_CREATE (re-identify) replaces voice states and forgets who was speaking', () => {
    const d = ready([vs('2', VOICE)]);
    applyDispatch(d, 'VOICE_SPEAKING', { guild_id: G, channel_id: VOICE, user_id: '2', speaking: true });
    applyDispatch(d, 'GUILD_CREATE', guild([vs('1', OTHER)]));
    expect(names(d, VOICE)).toEqual([]);
    expect(names(d, OTHER)).toEqual(['1']);
    expect(speakers(d)).toEqual([]);
  });

  test('a member leaving the guild, or the guild going away, takes their voice states with them', () => {
    const d = ready([vs('2', VOICE), vs('1', VOICE)]);
    applyDispatch(d, 'GUILD_MEMBER_REMOVE', { guild_id: G, user: { id: '2', username: 'bob' } });
    expect(names(d, VOICE)).toEqual(['1']);
    applyDispatch(d, 'GUILD_DELETE', { id: G });
    expect(d.voiceStates.has(G)).toBe(false);
  });
});
