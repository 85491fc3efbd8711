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
export const MicIcon = svg('M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3zM5 11a7 7 0 0 0 14 0M12 18v3M8 21h8');
export const MicOffIcon = svg('M3 3l18 18M9 9v3a3 3 0 0 0 5.1 2.1M15 10V6a3 3 0 0 0-5.7-1.3M5 11a7 7 0 0 0 11.5 5.3M19 11a7 7 0 0 1-.6 2.8M12 18v3M8 21h8');
export const HeadphonesIcon = svg('M4 15v-3a8 8 0 0 1 16 0v3M4 15h3v5H4zM17 15h3v5h-3z');
export const HeadphonesOffIcon = svg('M3 3l18 18M4 15v-3a8 8 0 0 1 2.3-5.6M9.4 4.4A8 8 0 0 1 20 12v3M4 15h3v5H4zM17 15h3v5h-3z');
export const HangUpIcon = svg('M3 15.5c5-5 13-5 18 0l-2.5 2.5-3.5-1.5v-3a11 11 0 0 0-6 0v3L5.5 18z');
export const GearIcon = svg('M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM19.4 13a7.6 7.6 0 0 0 0-2l2-1.6-2-3.4-2.4 1a7.5 7.5 0 0 0-1.7-1L15 3.5h-4l-.4 2.5a7.5 7.5 0 0 0-1.7 1l-2.4-1-2 3.4 2 1.6a7.6 7.6 0 0 0 0 2l-2 1.6 2 3.4 2.4-1a7.5 7.5 0 0 0 1.7 1l.4 2.5h4l.4-2.5a7.5 7.5 0 0 0 1.7-1l2.4 1 2-3.4z');
export const SignalIcon = svg('M4 20v-3M9 20v-7M14 20V9M19 20V4');
