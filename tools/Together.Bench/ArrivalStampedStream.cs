using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Together.Bench;

/// <summary>
/// A client connection's byte stream that knows when the bytes it returns reached the socket.
/// With <c>SO_TIMESTAMPNS</c> the kernel stamps each packet as it is queued on the receiving
/// socket, and <c>recvmsg</c> hands the stamp of the last packet a read took. A delivery is
/// timed to that moment (what the issue asks: "the moment each recipient's socket has the
/// MESSAGE_CREATE"), so the figure excludes how long this process, on the same two cores as the
/// server, took to get round to reading it; the read time is kept next to it.
/// Linux, 64-bit (the struct layouts and option numbers below are that ABI's); elsewhere
/// <see cref="ConnectAsync"/> returns a plain stream and arrivals are taken as reads.
/// </summary>
internal sealed partial class ArrivalStampedStream(Socket socket) : Stream
{
    private const int SolSocket = 1;
    private const int SoTimestampNs = 35; // SCM_TIMESTAMPNS has the same number
    private const int MsgDontWait = 0x40;
    private const int Eagain = 11;
    private const int Eintr = 4;
    private static readonly long UnixEpochTicks = DateTime.UnixEpoch.Ticks;

    private readonly int _fd = (int)socket.SafeHandle.DangerousGetHandle();

    /// <summary>Stopwatch ticks at which the last packet of the latest read reached the socket.</summary>
    public long LastArrival { get; private set; }

    /// <summary>Reads that came without a stamp (then <see cref="LastArrival"/> is the read's own time).</summary>
    public long Unstamped { get; private set; }

    /// <summary>Whether this platform gives arrival stamps.</summary>
    public static bool Supported { get; } = OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    /// <summary>
    /// Connects to <paramref name="endPoint"/> and asks the kernel to stamp what arrives: an
    /// <see cref="ArrivalStampedStream"/> where <see cref="Supported"/>, else a plain stream.
    /// </summary>
    public static async ValueTask<Stream> ConnectAsync(System.Net.EndPoint endPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken);
            if (!Supported)
                return new NetworkStream(socket, ownsSocket: true);
            socket.SetRawSocketOption(SolSocket, SoTimestampNs, BitConverter.GetBytes(1));
            return new ArrivalStampedStream(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            // A zero-byte receive completes when the socket is readable (or at its end), without
            // taking anything: the bytes themselves are then taken by recvmsg with their stamp.
            await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken);
            if (buffer.IsEmpty)
                return 0;
            var read = TryReceive(buffer.Span);
            if (read >= 0)
                return read;
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <summary>Bytes read (0 at the end of the stream), or -1 when there were none after all.</summary>
    private unsafe int TryReceive(Span<byte> buffer)
    {
        var control = stackalloc byte[64];
        fixed (byte* data = buffer)
        {
            var vector = new IoVector { Base = data, Length = (nuint)buffer.Length };
            var message = new MessageHeader { Vectors = &vector, VectorCount = 1, Control = control, ControlLength = 64 };
            nint read;
            while ((read = RecvMsg(_fd, &message, MsgDontWait)) < 0)
            {
                var error = Marshal.GetLastPInvokeError();
                if (error == Eagain)
                    return -1;
                if (error != Eintr)
                    throw new IOException($"recvmsg failed: errno {error}");
            }
            if (read > 0)
                LastArrival = Arrival(control, message.ControlLength);
            return (int)read;
        }
    }

    private unsafe long Arrival(byte* control, nuint length)
    {
        // cmsghdr: size_t cmsg_len, int cmsg_level, int cmsg_type, then the data 8-aligned.
        for (nuint at = 0; at + 16 <= length;)
        {
            var header = control + at;
            var size = *(nuint*)header;
            if (size < 16)
                break;
            if (*(int*)(header + 8) == SolSocket && *(int*)(header + 12) == SoTimestampNs && size >= 32)
            {
                var seconds = *(long*)(header + 16);
                var nanoseconds = *(long*)(header + 24);
                // The stamp is CLOCK_REALTIME; its age now, taken off the monotonic clock, gives
                // the arrival on the clock every other figure uses.
                var age = DateTime.UtcNow.Ticks - (UnixEpochTicks + seconds * TimeSpan.TicksPerSecond + nanoseconds / 100);
                return Stopwatch.GetTimestamp() - Math.Max(0, age) * Stopwatch.Frequency / TimeSpan.TicksPerSecond;
            }
            at += (size + 7) & ~(nuint)7;
        }
        Unstamped++;
        return Stopwatch.GetTimestamp();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
            buffer = buffer[await socket.SendAsync(buffer, SocketFlags.None, cancellationToken)..];
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            socket.Dispose();
        base.Dispose(disposing);
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct IoVector
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVector* Vectors;
        public nuint VectorCount;
        public byte* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    private static unsafe partial nint RecvMsg(int fd, MessageHeader* message, int flags);
}
