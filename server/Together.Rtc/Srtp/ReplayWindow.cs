namespace Together.Rtc.Srtp;

/// <summary>
/// A 64-packet sliding replay window (RFC 3711 §3.3.2) over a 48-bit SRTP index or a 31-bit
/// SRTCP index. <see cref="Check"/> does not change state; <see cref="Accept"/> is called only
/// after the packet authenticated, so a forged packet cannot move the window.
/// </summary>
internal struct ReplayWindow
{
    public const int Size = 64;
    private ulong _highest;
    private ulong _bitmap; // bit i set: index (_highest - i) was received
    private bool _started;

    public readonly bool Check(ulong index)
    {
        if (!_started || index > _highest)
        {
            return true;
        }

        ulong behind = _highest - index;
        return behind < Size && (_bitmap & (1UL << (int)behind)) == 0;
    }

    public void Accept(ulong index)
    {
        if (!_started)
        {
            _started = true;
            _highest = index;
            _bitmap = 1;
            return;
        }

        if (index > _highest)
        {
            ulong shift = index - _highest;
            _bitmap = shift >= Size ? 1 : (_bitmap << (int)shift) | 1;
            _highest = index;
        }
        else
        {
            _bitmap |= 1UL << (int)(_highest - index);
        }
    }
}
