import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';
import { ChannelType, compareIds, type AuditLog, type Ban, type Channel, type Invite, type Member, type Role } from '@together/shared';
import { useSession } from '../context';
import { useCollection } from '../state/collection';
import { describeError } from '../session';
import { EDITABLE, P, guildPermissions, has } from '../permissions';
import { GuildIconEditor } from './ProfileSettings';
import { useFocusTrap } from './focus';

type Tab = 'overview' | 'channels' | 'roles' | 'members' | 'bans' | 'invites' | 'audit';

const TABS: Array<[Tab, string, bigint]> = [
  ['overview', 'Overview', P.MANAGE_GUILD],
  ['channels', 'Channels', P.MANAGE_CHANNELS],
  ['roles', 'Roles', P.MANAGE_ROLES],
  ['members', 'Members', P.KICK_MEMBERS | P.BAN_MEMBERS | P.MODERATE_MEMBERS | P.MANAGE_ROLES],
  ['bans', 'Bans', P.BAN_MEMBERS],
  ['invites', 'Invites', P.MANAGE_GUILD | P.CREATE_INSTANT_INVITE],
  ['audit', 'Audit Log', P.VIEW_AUDIT_LOG],
];

/** Which settings tabs the user may open (any of the tab's permissions). */
export function settingsTabs(perms: bigint) {
  return TABS.filter(([, , need]) => (perms & need) !== 0n);
}

const hex = (n: number) => `#${n.toString(16).padStart(6, '0')}`;

/** Runs an API call, reporting failure in words. */
function useAction() {
  const [error, setError] = useState<string | null>(null);
  const run = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      return true;
    } catch (e) {
      setError(describeError(e));
      return false;
    }
  };
  const view = error ? <p className="form-error" role="alert">{error}</p> : null;
  return { run, view };
}

export function ServerSettings({ guildId, onClose }: { guildId: string; onClose: () => void }) {
  const session = useSession();
  const { data } = session;
  useCollection(data.guilds);
  useCollection(data.roles);
  useCollection(data.members);
  const guild = data.guilds.get(guildId);
  const perms = data.selfId ? guildPermissions(data, guildId, data.selfId) : 0n;
  const tabs = settingsTabs(perms);
  const [tab, setTab] = useState<Tab>(tabs[0]?.[0] ?? 'overview');
  const ref = useRef<HTMLDivElement>(null);
  const trap = useFocusTrap(ref);
  if (!guild) return null;
  // Tabs as WAI-ARIA's tabs pattern: one tab in the Tab order, arrows (either axis: the list is a
  // column on a computer and a row on a phone) and Home/End move and select.
  const onTabKey = (e: KeyboardEvent) => {
    const i = tabs.findIndex(([id]) => id === tab);
    let j = -1;
    if (e.key === 'ArrowDown' || e.key === 'ArrowRight') j = (i + 1) % tabs.length;
    else if (e.key === 'ArrowUp' || e.key === 'ArrowLeft') j = (i - 1 + tabs.length) % tabs.length;
    else if (e.key === 'Home') j = 0;
    else if (e.key === 'End') j = tabs.length - 1;
    if (j < 0) return;
    e.preventDefault();
    setTab(tabs[j][0]);
    document.getElementById(`tab-${tabs[j][0]}`)?.focus();
  };
  return (
    <div className="settings" role="dialog" aria-modal="true" aria-label={`${guild.name} settings`} ref={ref} onKeyDown={(e) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        onClose();
      } else trap(e);
    }}>
      <nav className="settings-nav">
        <h2>{guild.name}</h2>
        <div role="tablist" aria-orientation="vertical" aria-label="Settings sections" onKeyDown={onTabKey}>
          {tabs.map(([id, label]) => (
            <button key={id} role="tab" id={`tab-${id}`} tabIndex={tab === id ? 0 : -1} aria-selected={tab === id} aria-controls="settings-panel" className={tab === id ? 'selected' : ''} onClick={() => setTab(id)}>
              {label}
            </button>
          ))}
        </div>
      </nav>
      <section className="settings-body" role="tabpanel" id="settings-panel" aria-labelledby={`tab-${tab}`}>
        <button className="icon-button settings-close" aria-label="Close settings" onClick={onClose} autoFocus>✕</button>
        {tab === 'overview' && <Overview guildId={guildId} />}
        {tab === 'channels' && <Channels guildId={guildId} />}
        {tab === 'roles' && <Roles guildId={guildId} perms={perms} />}
        {tab === 'members' && <Members guildId={guildId} perms={perms} />}
        {tab === 'bans' && <Bans guildId={guildId} />}
        {tab === 'invites' && <Invites guildId={guildId} canManage={has(perms, P.MANAGE_GUILD)} />}
        {tab === 'audit' && <Audit guildId={guildId} />}
      </section>
    </div>
  );
}

function Overview({ guildId }: { guildId: string }) {
  const session = useSession();
  const guild = session.data.guilds.get(guildId)!;
  const [name, setName] = useState(guild.name);
  const { run, view } = useAction();
  return (
    <form onSubmit={(e) => { e.preventDefault(); void run(() => session.rest.updateGuild(guildId, { name })); }}>
      <h3>Overview</h3>
      <GuildIconEditor guildId={guildId} />
      <label>Server name<input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} /></label>
      {view}
      <div className="row"><button className="primary" type="submit" disabled={name === guild.name}>Save Changes</button></div>
    </form>
  );
}

function Channels({ guildId }: { guildId: string }) {
  const session = useSession();
  const { data } = session;
  useCollection(data.channels);
  const { run, view } = useAction();
  const [name, setName] = useState('');
  const [type, setType] = useState(0);
  const [parent, setParent] = useState('');
  const [editing, setEditing] = useState<Channel | null>(null);
  const channels = data.guildChannels(guildId);
  const byPos = (a: Channel, b: Channel) => a.position - b.position || compareIds(a.id, b.id);
  const categories = channels.filter((c) => c.type === ChannelType.GuildCategory).sort(byPos);
  const siblings = (c: Channel) => channels.filter((x) => (x.parent_id ?? null) === (c.parent_id ?? null) && (x.type === ChannelType.GuildCategory) === (c.type === ChannelType.GuildCategory)).sort(byPos);

  const move = (c: Channel, delta: -1 | 1) => {
    const list = siblings(c);
    const i = list.findIndex((x) => x.id === c.id);
    const j = i + delta;
    if (j < 0 || j >= list.length) return;
    [list[i], list[j]] = [list[j], list[i]];
    void run(() => session.rest.reorderChannels(guildId, list.map((x, position) => ({ id: x.id, position }))));
  };

  const create = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await session.rest.createChannel(guildId, { name, type, parent_id: type === ChannelType.GuildCategory || !parent ? undefined : parent });
      setName('');
    });
  };

  const row = (c: Channel) => (
    <li key={c.id} className="settings-row">
      <span className="grow">{c.type === ChannelType.GuildCategory ? c.name.toUpperCase() : `${c.type === ChannelType.GuildVoice ? '🔊 ' : '# '}${c.name}`}</span>
      <button className="icon-button" aria-label={`Move ${c.name} up`} onClick={() => move(c, -1)}>↑</button>
      <button className="icon-button" aria-label={`Move ${c.name} down`} onClick={() => move(c, 1)}>↓</button>
      <button onClick={() => setEditing(c)} aria-label={`Edit ${c.name}`}>Edit</button>
    </li>
  );

  if (editing) return <ChannelEditor guildId={guildId} channel={data.channels.get(editing.id) ?? editing} done={() => setEditing(null)} />;
  return (
    <div>
      <h3>Channels</h3>
      <form className="row wrap" onSubmit={create} aria-label="Create channel">
        <label className="grow">Channel name<input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} /></label>
        <label>Type
          <select value={type} onChange={(e) => setType(Number(e.target.value))}>
            <option value={0}>Text</option><option value={2}>Voice</option><option value={4}>Category</option>
          </select>
        </label>
        {type !== ChannelType.GuildCategory && (
          <label>Category
            <select value={parent} onChange={(e) => setParent(e.target.value)}>
              <option value="">None</option>
              {categories.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
            </select>
          </label>
        )}
        <button className="primary" type="submit">Create Channel</button>
      </form>
      {view}
      <ul className="settings-list">
        {channels.filter((c) => !c.parent_id && c.type !== ChannelType.GuildCategory).sort(byPos).map(row)}
        {categories.map((cat) => (
          <li key={cat.id}>
            <ul className="settings-list">{row(cat)}{channels.filter((c) => c.parent_id === cat.id).sort(byPos).map(row)}</ul>
          </li>
        ))}
      </ul>
    </div>
  );
}

type Tri = 'allow' | 'inherit' | 'deny';

function ChannelEditor({ guildId, channel, done }: { guildId: string; channel: Channel; done: () => void }) {
  const session = useSession();
  const { data } = session;
  const { run, view } = useAction();
  const [name, setName] = useState(channel.name);
  const [topic, setTopic] = useState(channel.topic ?? '');
  const [parent, setParent] = useState(channel.parent_id ?? '');
  const [confirm, setConfirm] = useState(false);
  const roles = [...data.roles.values()].filter((r) => r.guild_id === guildId).sort((a, b) => b.position - a.position);
  const categories = data.guildChannels(guildId).filter((c) => c.type === ChannelType.GuildCategory).sort((a, b) => a.position - b.position);
  const members = [...(data.members.get(guildId)?.values() ?? [])].filter((m) => m.user)
    .map((m) => ({ id: m.user!.id, name: data.displayName(m.user!.id, guildId) })).sort((a, b) => a.name.localeCompare(b.name));
  const [target, setTarget] = useState(guildId);
  // An overwrite is for a role (type 0) or, as on Discord, for one member (type 1).
  const targetType: 0 | 1 = data.roles.has(target) ? 0 : 1;
  const current = channel.permission_overwrites?.find((o) => o.id === target);
  const initial = () => {
    const out: Record<string, Tri> = {};
    for (const [key] of EDITABLE) {
      const bit = P[key];
      out[key] = current && BigInt(current.allow) & bit ? 'allow' : current && BigInt(current.deny) & bit ? 'deny' : 'inherit';
    }
    return out;
  };
  const [tri, setTri] = useState<Record<string, Tri>>(initial);
  // Reset the form when another role is picked or this role's overwrite really changed, not
  // whenever the channel object is replaced by an unrelated update: that would drop unsaved edits.
  const saved = current ? `${current.allow}/${current.deny}` : '';
  useEffect(() => setTri(initial()), [target, saved]); // eslint-disable-line react-hooks/exhaustive-deps

  const saveOverwrite = () => {
    let allow = 0n;
    let deny = 0n;
    for (const [key, v] of Object.entries(tri)) {
      if (v === 'allow') allow |= P[key as keyof typeof P];
      if (v === 'deny') deny |= P[key as keyof typeof P];
    }
    void run(() => allow === 0n && deny === 0n
      ? session.rest.deleteOverwrite(channel.id, target)
      : session.rest.putOverwrite(channel.id, target, { type: targetType, allow: String(allow), deny: String(deny) }));
  };

  const perms = EDITABLE.filter(([k]) => k !== 'ADMINISTRATOR' && k !== 'MANAGE_GUILD' && k !== 'KICK_MEMBERS' && k !== 'BAN_MEMBERS' && k !== 'MODERATE_MEMBERS' && k !== 'VIEW_AUDIT_LOG');
  return (
    <div>
      <button className="link" onClick={done}>← Back to channels</button>
      <h3>Edit #{channel.name}</h3>
      <form onSubmit={(e) => {
        e.preventDefault();
        const moved = channel.type !== ChannelType.GuildCategory && parent !== (channel.parent_id ?? '');
        void run(() => session.rest.updateChannel(channel.id, {
          name, ...(channel.type === ChannelType.GuildText ? { topic: topic || null } : {}), ...(moved ? { parent_id: parent || null } : {}),
        }));
      }}>
        <label>Channel name<input value={name} onChange={(e) => setName(e.target.value)} required /></label>
        {channel.type === ChannelType.GuildText && <label>Topic<input value={topic} onChange={(e) => setTopic(e.target.value)} maxLength={1024} /></label>}
        {channel.type !== ChannelType.GuildCategory && (
          <label>Category
            <select value={parent} onChange={(e) => setParent(e.target.value)}>
              <option value="">No category</option>
              {categories.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
            </select>
          </label>
        )}
        <div className="row"><button className="primary" type="submit">Save Changes</button></div>
      </form>
      <h4>Permissions</h4>
      <label>Role or member
        <select aria-label="Role or member to edit" value={target} onChange={(e) => setTarget(e.target.value)}>
          <optgroup label="Roles">
            {roles.map((r) => <option key={r.id} value={r.id}>{r.id === guildId ? '@everyone' : r.name}</option>)}
          </optgroup>
          <optgroup label="Members">
            {members.map((m) => <option key={m.id} value={m.id}>{m.name}{channel.permission_overwrites?.some((o) => o.id === m.id) ? ' •' : ''}</option>)}
          </optgroup>
        </select>
      </label>
      <table className="perm-table">
        <thead><tr><th scope="col">Permission</th><th scope="col">Deny</th><th scope="col">Inherit</th><th scope="col">Allow</th></tr></thead>
        <tbody>
          {perms.map(([key, label]) => (
            <tr key={key}>
              <th scope="row">{label}</th>
              {(['deny', 'inherit', 'allow'] as Tri[]).map((v) => (
                <td key={v}>
                  <input type="radio" name={`perm-${key}`} aria-label={`${label}: ${v}`} checked={tri[key] === v} onChange={() => setTri({ ...tri, [key]: v })} />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <div className="row"><button className="primary" onClick={saveOverwrite}>Save Permissions</button></div>
      {view}
      <h4>Delete</h4>
      {confirm ? (
        <div className="row">
          <button className="primary danger" onClick={() => void run(() => session.rest.deleteChannel(channel.id)).then((ok) => ok && done())}>Delete #{channel.name}</button>
          <button onClick={() => setConfirm(false)}>Cancel</button>
        </div>
      ) : (
        <button className="danger" onClick={() => setConfirm(true)}>Delete Channel</button>
      )}
    </div>
  );
}

function Roles({ guildId, perms }: { guildId: string; perms: bigint }) {
  const session = useSession();
  const { data } = session;
  useCollection(data.roles);
  const { run, view } = useAction();
  const roles = [...data.roles.values()].filter((r) => r.guild_id === guildId).sort((a, b) => b.position - a.position || compareIds(a.id, b.id));
  const [selected, setSelected] = useState<string | null>(null);
  const role = selected ? data.roles.get(selected) : undefined;
  const movable = roles.filter((r) => r.id !== guildId);
  const move = (r: Role, delta: -1 | 1) => {
    const list = [...movable];
    const i = list.findIndex((x) => x.id === r.id);
    const j = i + delta;
    if (j < 0 || j >= list.length) return;
    [list[i], list[j]] = [list[j], list[i]];
    // The list is top first; positions count up from just above @everyone.
    void run(() => session.rest.reorderRoles(guildId, list.map((x, k) => ({ id: x.id, position: list.length - k }))));
  };
  return (
    <div>
      <h3>Roles</h3>
      <div className="row">
        <button className="primary" onClick={() => void run(async () => {
          const r = await session.rest.createRole(guildId, { name: 'new role' });
          setSelected(r.id);
        })}>Create Role</button>
      </div>
      {view}
      <ul className="settings-list">
        {roles.map((r) => (
          <li key={r.id} className="settings-row">
            <span className="dot" style={{ background: r.color ? hex(r.color) : 'var(--offline)' }} aria-hidden="true" />
            <span className="grow">{r.id === guildId ? '@everyone' : r.name}</span>
            {r.id !== guildId && <>
              <button className="icon-button" aria-label={`Move ${r.name} up`} onClick={() => move(r, -1)}>↑</button>
              <button className="icon-button" aria-label={`Move ${r.name} down`} onClick={() => move(r, 1)}>↓</button>
            </>}
            <button onClick={() => setSelected(r.id)} aria-label={`Edit ${r.id === guildId ? '@everyone' : r.name}`}>Edit</button>
          </li>
        ))}
      </ul>
      {role && <RoleEditor key={role.id} guildId={guildId} role={role} mine={perms} close={() => setSelected(null)} />}
    </div>
  );
}

function RoleEditor({ guildId, role, mine, close }: { guildId: string; role: Role; mine: bigint; close: () => void }) {
  const session = useSession();
  const { run, view } = useAction();
  const everyone = role.id === guildId;
  const [name, setName] = useState(role.name);
  const [color, setColor] = useState(role.color ? hex(role.color) : '#99aab5');
  const [bits, setBits] = useState(BigInt(role.permissions));
  const [hoist, setHoist] = useState(!!role.hoist);
  return (
    <form className="role-editor" aria-label={`Edit role ${role.name}`} onSubmit={(e) => {
      e.preventDefault();
      void run(() => session.rest.updateRole(guildId, role.id, {
        ...(everyone ? {} : { name, color: parseInt(color.slice(1), 16), hoist }),
        permissions: String(bits),
      }));
    }}>
      <h4>{everyone ? '@everyone' : role.name}</h4>
      {!everyone && <>
        <label>Role name<input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} /></label>
        <label>Role colour<input type="color" value={color} onChange={(e) => setColor(e.target.value)} /></label>
        <label className="check"><input type="checkbox" checked={hoist} onChange={(e) => setHoist(e.target.checked)} />
          Display role members separately from online members</label>
      </>}
      <fieldset>
        <legend>Permissions</legend>
        {EDITABLE.map(([key, label]) => (
          <label key={key} className="check">
            <input type="checkbox" checked={(bits & P[key]) !== 0n} disabled={!has(mine, P[key])}
              onChange={(e) => setBits(e.target.checked ? bits | P[key] : bits & ~P[key])} />
            {label}
          </label>
        ))}
      </fieldset>
      {view}
      <div className="row">
        <button className="primary" type="submit">Save Changes</button>
        {!everyone && <button type="button" className="danger" onClick={() => void run(() => session.rest.deleteRole(guildId, role.id)).then((ok) => ok && close())}>Delete Role</button>}
        <button type="button" onClick={close}>Close</button>
      </div>
    </form>
  );
}

function Members({ guildId, perms }: { guildId: string; perms: bigint }) {
  const session = useSession();
  const { data } = session;
  useCollection(data.members);
  useCollection(data.roles);
  const { run, view } = useAction();
  // The gateway may not have sent everyone yet (large guilds arrive in chunks): read them all.
  // The list says it is busy meanwhile, since rows can still come and move.
  const [loading, setLoading] = useState(true);
  useEffect(() => {
    setLoading(true);
    void run(() => session.loadAllMembers(guildId)).finally(() => setLoading(false));
  }, [guildId]); // eslint-disable-line react-hooks/exhaustive-deps
  const [confirm, setConfirm] = useState<{ user: string; action: 'kick' | 'ban' } | null>(null);
  const [timingOut, setTimingOut] = useState<string | null>(null);
  const [optimistic, setOptimistic] = useState<Record<string, boolean>>({});
  const roles = [...data.roles.values()].filter((r) => r.guild_id === guildId && r.id !== guildId).sort((a, b) => b.position - a.position);
  const members = [...(data.members.get(guildId)?.values() ?? [])].filter((m) => m.user);
  const guild = data.guilds.get(guildId)!;
  const timedOut = (m: Member) => !!m.communication_disabled_until && Date.parse(m.communication_disabled_until) > Date.now();
  return (
    <div>
      <h3>Members</h3>
      {view}
      <ul className="settings-list" aria-busy={loading}>
        {members.map((m) => {
          const id = m.user!.id;
          const name = data.displayName(id, guildId);
          const self = id === data.selfId || id === guild.owner_id;
          return (
            <li key={id} className="settings-member" aria-label={name}>
              <div className="settings-row">
                <strong className="grow" style={{ color: data.roleColor(id, guildId) }}>{name}</strong>
                {timedOut(m) && <span className="hint">timed out</span>}
                {!self && has(perms, P.MODERATE_MEMBERS) && (timedOut(m)
                  ? <button onClick={() => void run(() => session.rest.timeoutMember(guildId, id, null))}>Remove Timeout</button>
                  : <button aria-expanded={timingOut === id} onClick={() => setTimingOut(timingOut === id ? null : id)}>Timeout</button>)}
                {!self && has(perms, P.KICK_MEMBERS) && <button className="danger" onClick={() => setConfirm({ user: id, action: 'kick' })}>Kick</button>}
                {!self && has(perms, P.BAN_MEMBERS) && <button className="danger" onClick={() => setConfirm({ user: id, action: 'ban' })}>Ban</button>}
              </div>
              {has(perms, P.MANAGE_ROLES) && roles.length > 0 && (
                <div className="role-chips" role="group" aria-label={`Roles of ${name}`}>
                  {roles.map((r) => {
                    const key = `${id}:${r.id}`;
                    // Shows the change at once; GUILD_MEMBER_UPDATE confirms it, a failure undoes it.
                    const on = optimistic[key] ?? m.roles.includes(r.id);
                    return (
                      <label key={r.id} className="check">
                        <input type="checkbox" checked={on} onChange={() => {
                          setOptimistic((o) => ({ ...o, [key]: !on }));
                          void run(() => on
                            ? session.rest.removeMemberRole(guildId, id, r.id)
                            : session.rest.addMemberRole(guildId, id, r.id)).then(() => setOptimistic(({ [key]: _, ...rest }) => rest));
                        }} />
                        {r.name}
                      </label>
                    );
                  })}
                </div>
              )}
              {timingOut === id && (
                <TimeoutForm name={name} onCancel={() => setTimingOut(null)} onSubmit={(seconds, reason) => {
                  setTimingOut(null);
                  void run(() => session.rest.timeoutMember(guildId, id, new Date(Date.now() + seconds * 1000).toISOString(), reason || undefined));
                }} />
              )}
              {confirm?.user === id && (
                <div className="confirm" role="alertdialog" aria-label={`${confirm.action === 'kick' ? 'Kick' : 'Ban'} ${name}?`}>
                  {confirm.action === 'kick' ? 'Kick' : 'Ban'} {name}?{' '}
                  <button className="danger" autoFocus onClick={() => {
                    setConfirm(null);
                    void run(() => confirm.action === 'kick' ? session.rest.kick(guildId, id) : session.rest.ban(guildId, id));
                  }}>Confirm</button>{' '}
                  <button onClick={() => setConfirm(null)}>Cancel</button>
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

const TIMEOUTS: Array<[number, string]> = [[60, '60 seconds'], [300, '5 minutes'], [600, '10 minutes'], [3600, '1 hour'], [86400, '1 day'], [604800, '1 week']];

/** Discord's timeout choices, with a reason for the audit log. */
function TimeoutForm({ name, onSubmit, onCancel }: { name: string; onSubmit: (seconds: number, reason: string) => void; onCancel: () => void }) {
  const [seconds, setSeconds] = useState(3600);
  const [reason, setReason] = useState('');
  return (
    <form className="confirm timeout-form" aria-label={`Timeout ${name}`} onSubmit={(e) => { e.preventDefault(); onSubmit(seconds, reason.trim()); }}>
      <label>Duration
        <select value={seconds} onChange={(e) => setSeconds(Number(e.target.value))} autoFocus>
          {TIMEOUTS.map(([s, label]) => <option key={s} value={s}>{label}</option>)}
        </select>
      </label>
      <label>Reason<input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={512} placeholder="Optional" /></label>
      <button type="submit" className="danger">Timeout</button>
      <button type="button" onClick={onCancel}>Cancel</button>
    </form>
  );
}

function Bans({ guildId }: { guildId: string }) {
  const session = useSession();
  const { run, view } = useAction();
  const [list, setList] = useState<Ban[] | null>(null);
  const load = () => run(async () => {
    // Pages of 1000 by user id, as the API gives them.
    const all: Ban[] = [];
    for (let after: string | undefined; ;) {
      const page = await session.rest.bans(guildId, { after });
      all.push(...page);
      if (page.length < 1000) break;
      after = page[page.length - 1].user.id;
    }
    setList(all);
  });
  useEffect(() => void load(), [guildId]); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <div>
      <h3>Bans</h3>
      {view}
      {list && list.length === 0 && <p className="hint">No bans.</p>}
      <ul className="settings-list">
        {list?.map((b) => (
          <li key={b.user.id} className="settings-row" aria-label={b.user.username}>
            <strong className="grow">{b.user.global_name || b.user.username}{b.reason && <span className="hint"> — {b.reason}</span>}</strong>
            <button className="danger" onClick={() => void run(() => session.rest.unban(guildId, b.user.id)).then((ok) => ok && load())}>Revoke Ban</button>
          </li>
        ))}
      </ul>
    </div>
  );
}

const MAX_AGES: Array<[number, string]> = [[1800, '30 minutes'], [3600, '1 hour'], [21600, '6 hours'], [43200, '12 hours'], [86400, '1 day'], [604800, '7 days'], [0, 'Never']];
const MAX_USES: Array<[number, string]> = [[0, 'No limit'], [1, '1 use'], [5, '5 uses'], [10, '10 uses'], [25, '25 uses'], [50, '50 uses'], [100, '100 uses']];

function Invites({ guildId, canManage }: { guildId: string; canManage: boolean }) {
  const session = useSession();
  const { data } = session;
  const { run, view } = useAction();
  const [list, setList] = useState<Invite[] | null>(null);
  const textChannels = data.guildChannels(guildId).filter((c) => c.type === ChannelType.GuildText).sort((a, b) => a.position - b.position);
  const [channelId, setChannelId] = useState(textChannels[0]?.id ?? '');
  const [maxAge, setMaxAge] = useState(604800);
  const [maxUses, setMaxUses] = useState(0);
  const [created, setCreated] = useState<Invite | null>(null);
  // Listing every invite needs MANAGE_GUILD; creating one needs only CREATE_INSTANT_INVITE.
  const load = () => (canManage ? run(async () => setList(await session.rest.guildInvites(guildId))) : Promise.resolve(true));
  useEffect(() => void load(), [guildId]); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <div>
      <h3>Invites</h3>
      <form className="row wrap" aria-label="Create invite" onSubmit={(e) => {
        e.preventDefault();
        void run(async () => {
          setCreated(await session.rest.createInvite(channelId, { max_age: maxAge, max_uses: maxUses, unique: true }));
          await load();
        });
      }}>
        <label>Channel
          <select value={channelId} onChange={(e) => setChannelId(e.target.value)}>
            {textChannels.map((c) => <option key={c.id} value={c.id}>#{c.name}</option>)}
          </select>
        </label>
        <label>Expire after
          <select value={maxAge} onChange={(e) => setMaxAge(Number(e.target.value))}>
            {MAX_AGES.map(([s, label]) => <option key={s} value={s}>{label}</option>)}
          </select>
        </label>
        <label>Max number of uses
          <select value={maxUses} onChange={(e) => setMaxUses(Number(e.target.value))}>
            {MAX_USES.map(([n, label]) => <option key={n} value={n}>{label}</option>)}
          </select>
        </label>
        <button className="primary" type="submit" disabled={!channelId}>Create Invite</button>
      </form>
      {created && <p className="hint" role="status">New invite: <code data-invite-code={created.code}>{`${location.origin}/invite/${created.code}`}</code></p>}
      {view}
      {list && list.length === 0 && <p className="hint">No invites yet.</p>}
      <ul className="settings-list">
        {list?.map((i) => (
          <li key={i.code} className="settings-row">
            <code className="grow">{i.code}</code>
            <span className="hint">#{i.channel?.name} · {i.uses ?? 0}{i.max_uses ? `/${i.max_uses}` : ''} uses{i.expires_at ? ` · until ${new Date(i.expires_at).toLocaleString()}` : ''}</span>
            <button className="danger" aria-label={`Revoke invite ${i.code}`} onClick={() => void run(() => session.rest.deleteInvite(i.code)).then(load)}>Revoke</button>
          </li>
        ))}
      </ul>
    </div>
  );
}

const ACTIONS: Record<number, string> = {
  1: 'updated the server', 10: 'created a channel', 11: 'updated a channel', 12: 'deleted a channel',
  13: 'added a permission overwrite', 14: 'updated a permission overwrite', 15: 'removed a permission overwrite',
  20: 'kicked a member', 22: 'banned a member', 23: 'unbanned a member', 24: 'updated a member', 25: "changed a member's roles",
  30: 'created a role', 31: 'updated a role', 32: 'deleted a role', 40: 'created an invite', 41: 'updated an invite',
  42: 'deleted an invite', 72: 'deleted a message', 73: 'bulk-deleted messages', 74: 'pinned a message', 75: 'unpinned a message',
};

function Audit({ guildId }: { guildId: string }) {
  const session = useSession();
  const { run, view } = useAction();
  const [log, setLog] = useState<AuditLog | null>(null);
  useEffect(() => void run(async () => setLog(await session.rest.auditLog(guildId, { limit: 50 }))), [guildId]); // eslint-disable-line react-hooks/exhaustive-deps
  const user = (id: string | null) => (id && log?.users.find((u) => u.id === id)?.username) || session.data.displayName(id ?? '', guildId);
  let body: ReactNode = null;
  if (log) {
    body = log.audit_log_entries.length === 0 ? <p className="hint">Nothing yet.</p> : (
      <ol className="settings-list">
        {log.audit_log_entries.map((e) => (
          <li key={e.id} className="settings-row">
            <span className="grow"><strong>{user(e.user_id)}</strong> {ACTIONS[e.action_type] ?? `action ${e.action_type}`}
              {e.changes?.find((c) => c.key === 'name') && <> “{String(e.changes.find((c) => c.key === 'name')!.new_value ?? e.changes.find((c) => c.key === 'name')!.old_value)}”</>}
              {e.reason && <span className="hint"> — {e.reason}</span>}</span>
          </li>
        ))}
      </ol>
    );
  }
  return <div><h3>Audit Log</h3>{view}{body}</div>;
}
