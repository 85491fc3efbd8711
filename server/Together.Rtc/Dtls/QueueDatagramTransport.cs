using Org.BouncyCastle.Tls;

namespace Together.Rtc.Dtls;

/// <summary>
/// Feeds BouncyCastle's blocking DTLS API from our single UDP socket: the socket thread
/// enqueues a peer's DTLS datagrams, BouncyCastle's Receive takes them (waiting during the
/// handshake, never waiting afterwards), and Send goes straight out through the shared socket.
/// </summary>
internal sealed class QueueDatagramTransport : DatagramTransport
{
    /// <summary>Datagrams we send stay within 1200 bytes so no path MTU breaks the handshake.</summary>
    public const int SendLimit = 1200;
    public const int ReceiveLimit = 1500;
    private const int MaxQueued = 64;

    private readonly Queue<byte[]> _queue = new();
    private readonly object _gate = new(); // a Monitor, for Wait/Pulse
    private readonly Action<ReadOnlySpan<byte>> _send;
    private readonly int _stallMillis;
    private long _lastReceived = Environment.TickCount64;
    private volatile bool _closed;

    /// <param name="stallMillis">A blocking Receive (the handshake) fails once nothing has arrived for this long; 0: never.</param>
    public QueueDatagramTransport(Action<ReadOnlySpan<byte>> send, int stallMillis = 0)
    {
        _send = send;
        _stallMillis = stallMillis;
    }

    /// <summary>After the handshake, Receive must not wait: it runs on a shared thread.</summary>
    public bool NonBlocking { get; set; }

    public bool IsClosed => _closed;

    public event Action? ClosedByProtocol;

    public void Enqueue(ReadOnlySpan<byte> datagram)
    {
        if (_closed || datagram.Length > ReceiveLimit)
        {
            return;
        }

        var copy = datagram.ToArray();
        lock (_gate)
        {
            if (_queue.Count >= MaxQueued)
            {
                return; // a flood of datagrams is dropped rather than buffered without bound
            }

            _queue.Enqueue(copy);
            _lastReceived = Environment.TickCount64;
            Monitor.Pulse(_gate);
        }
    }

    public int GetReceiveLimit() => ReceiveLimit;

    public int GetSendLimit() => SendLimit;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    public int Receive(Span<byte> buffer, int waitMillis)
    {
        byte[] datagram;
        lock (_gate)
        {
            long deadline = Environment.TickCount64 + (waitMillis == 0 ? int.MaxValue : waitMillis);
            while (_queue.Count == 0)
            {
                if (_closed)
                {
                    // Ends a blocked handshake promptly when the peer goes away.
                    throw new IOException("DTLS transport closed");
                }

                if (NonBlocking)
                {
                    return -1;
                }

                long now = Environment.TickCount64;
                long stallAt = _stallMillis > 0 ? _lastReceived + _stallMillis : long.MaxValue;
                if (now >= stallAt)
                {
                    // The peer went quiet mid-handshake (e.g. a client that sent a ClientHello and
                    // nothing more): give up now rather than hold a limiter slot until the timeout.
                    throw new IOException($"DTLS peer sent nothing for {_stallMillis} ms during the handshake");
                }

                long remaining = Math.Min(deadline, stallAt) - now;
                if (now >= deadline)
                {
                    return -1;
                }

                Monitor.Wait(_gate, (int)Math.Min(remaining, int.MaxValue));
            }

            datagram = _queue.Dequeue();
            _lastReceived = Environment.TickCount64; // a handshake that waited for its slot starts its stall clock now
        }

        int length = Math.Min(datagram.Length, buffer.Length);
        datagram.AsSpan(0, length).CopyTo(buffer);
        return length;
    }

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer)
    {
        if (!_closed)
        {
            _send(buffer);
        }
    }

    /// <summary>Called by BouncyCastle after close_notify or a fatal alert, and by us on teardown.</summary>
    public void Close()
    {
        if (_closed)
        {
            return;
        }

        lock (_gate)
        {
            _closed = true;
            Monitor.PulseAll(_gate); // wake a blocked Receive
        }

        ClosedByProtocol?.Invoke();
    }
}
