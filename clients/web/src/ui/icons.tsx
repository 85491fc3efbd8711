// Small inline SVG icons for the UI chrome, so nothing depends on an emoji font being installed.
type P = { title?: string };
const svg = (d: string) =>
  function Icon(_: P) {
    return (
      <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
        <path d={d} />
      </svg>
    );
  };
export const MenuIcon = svg('M4 6h16M4 12h16M4 18h16');
export const MembersIcon = svg('M16 19v-1a4 4 0 0 0-4-4H7a4 4 0 0 0-4 4v1M9.5 10a3 3 0 1 0 0-6 3 3 0 0 0 0 6M21 19v-1a4 4 0 0 0-3-3.9M15 4.1a3 3 0 0 1 0 5.8');
export const SpeakerIcon = svg('M11 5 6 9H3v6h3l5 4V5zM15.5 8.5a5 5 0 0 1 0 7M18.5 5.5a9 9 0 0 1 0 13');
export const TrashIcon = svg('M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13');
export const EditIcon = svg('M4 20h4L19 9l-4-4L4 16v4zM14 6l4 4');
export const SmileIcon = svg('M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM8.5 14a4 4 0 0 0 7 0M9 9.5h.01M15 9.5h.01');
export const ChevronIcon = svg('M6 9l6 6 6-6');
export const LogoutIcon = svg('M15 4h4v16h-4M10 17l5-5-5-5M15 12H3');
export const PlusIcon = svg('M12 5v14M5 12h14');
export const JoinIcon = svg('M5 19 19 5M9 19H5v-4');
export const StatusIcon = svg('M12 12m-4 0a4 4 0 1 0 8 0a4 4 0 1 0-8 0');
export const ReplyIcon = svg('M10 9V5l-7 7 7 7v-4.1c5 0 8.5 1.6 11 5.1-1-5-4-10-11-11z');
export const PinIcon = svg('M9 4h6l-1 6 4 3v2H6v-2l4-3-1-6zM12 15v6');
