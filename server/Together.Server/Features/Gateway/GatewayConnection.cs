using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Together.Server.Features.Gateway;

/// <summary>
/// One WebSocket. A receive loop parses frames and hands each to its opcode's handler. Frames
/// out are written by whoever enqueues them while the socket is idle (the dispatcher, usually),
/// so fanning one message out to 500 idle sockets costs no thread-pool work item per socket;
/// frames that arrive while a send is in flight wait in a bounded queue that the sender drains.
/// A client that cannot keep up fills the queue and is cut loose (it can resume), so a slow
/// phone never grows the server's memory.
/// </summary>
public sealed class GatewayConnection : IAsyncDisposable
{
    /// <summary>Discord's limit for client frames.</summary>
    public const int MaxIncomingFrame = 4096;

    /// <summary>Voice answers carry SDP, about half a kilobyte per participant in the room.</summary>
    public const int MaxVoiceFrame = 64 * 1024;

    private readonly WebSocket _socket;
    private readonly Queue<Outgoing> _queue = new(); // guards itself, _sending and _closed
    private readonly int _queueCapacity;
    private readonly TaskCompletionSource _sendsDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closeRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _receivingStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _sending;
    private int _replaysQueued;
    private readonly ZLibStream? _zlib;
    private readonly MemoryStream? _zlibBuffer;
    private readonly CancellationTokenSource _closing = new();
    private readonly TimeProvider _time;
    private int _closed;
    private long[]? _frameTimes; // receive loop only
    private int _nextFrameSlot;
    private long _framesCounted;

    public GatewayConnection(WebSocket socket, bool zlibStream, int queueCapacity, TimeProvider time)
    {
        _socket = socket;
        _time = time;
        _queueCapacity = queueCapacity;
        if (zlibStream)
        {
            _zlibBuffer = new MemoryStream();
            _zlib = new ZLibStream(_zlibBuffer, CompressionLevel.Fastest, leaveOpen: true);
        }
        LastHeartbeat = time.GetUtcNow();
        OpenedAt = LastHeartbeat;
    }

    public GatewaySession? Session { get; set; }

    /// <summary>READY's resume_gateway_url: where this client reached the gateway.</summary>
    public string ResumeUrl { get; init; } = "";

    public DateTimeOffset OpenedAt { get; }

    /// <summary>
    /// How long frames still queued at close may take to leave. A peer that stopped reading
    /// (a frozen phone, a stuck bot) would otherwise keep a send pending, and this connection
    /// with it, until its TCP connection died: after this the connection is cut.
    /// </summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a send pending at the cut may take to fail; it should at once.</summary>
    private static readonly TimeSpan SendReleaseTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan PeerCloseTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Cuts the underlying connection (the HTTP connection's abort); by default the WebSocket's own.</summary>
    public Action? AbortConnection { get; init; }

    public DateTimeOffset LastHeartbeat { get; set; }

    public (int Code, string Reason)? CloseStatus { get; private set; }

    /// <summary>Bytes in the frame <see cref="ReceiveAsync"/> returned last.</summary>
    public int LastFrameLength { get; private set; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    public CancellationToken Closing => _closing.Token;

    /// <summary>A dispatch (op 0) with its sequence number.</summary>
    public void EnqueueDispatch(SentDispatch dispatch) => Enqueue(new Outgoing(Op.Dispatch, dispatch.Seq, dispatch.Name, dispatch.Payload, false));

    /// <summary>
    /// A dispatch replayed by RESUME. Replays do not count against the queue's capacity (the
    /// replay buffer, larger than the queue, bounds them): otherwise resuming after a cut for a
    /// full queue would fill the new connection's queue at once and cut it again.
    /// </summary>
    public void EnqueueReplay(SentDispatch dispatch) => Enqueue(new Outgoing(Op.Dispatch, dispatch.Seq, dispatch.Name, dispatch.Payload, true));

    /// <summary>Any other opcode (HELLO, HEARTBEAT_ACK, INVALID_SESSION, RECONNECT).</summary>
    public void EnqueueOp(int op, byte[] payload) => Enqueue(new Outgoing(op, null, null, payload, false));

    private void Enqueue(Outgoing frame)
    {
        lock (_queue)
        {
            if (_closed != 0)
                return;
            if (_sending)
            {
                if (frame.Replayed)
                {
                    _queue.Enqueue(frame);
                    _replaysQueued++;
                }
                else if (_queue.Count - _replaysQueued < _queueCapacity)
                    _queue.Enqueue(frame);
                else
                    CloseLocked(CloseCode.UnknownError, "Client too slow: outgoing queue full.");
                return;
            }
            _sending = true;
        }
        _ = SendFromAsync(frame);
    }

    /// <summary>
    /// Sends this frame, then whatever queued up meanwhile, until the queue is empty. Runs on the
    /// caller's thread until a send cannot complete at once (the socket's buffers are full).
    /// </summary>
    private async Task SendFromAsync(Outgoing frame)
    {
        try
        {
            while (true)
            {
                await SendAsync(frame);
                lock (_queue)
                {
                    if (!_queue.TryDequeue(out frame))
                    {
                        _sending = false;
                        if (_closed != 0)
                            _sendsDone.TrySetResult();
                        return;
                    }
                    if (frame.Replayed)
                        _replaysQueued--;
                }
            }
        }
        catch (Exception)
        {
            // The peer is gone (or the socket broke in a way we did not foresee): either way this
            // connection is done, and nothing may be left waiting for its sends.
            lock (_queue)
            {
                CloseLocked(CloseCode.UnknownError, "Connection lost.");
                _queue.Clear();
                _replaysQueued = 0;
                _sending = false;
                _sendsDone.TrySetResult();
            }
        }
    }

    /// <summary>Closes after what is queued so far has been sent.</summary>
    public void Close(int code, string reason)
    {
        lock (_queue)
            CloseLocked(code, reason);
    }

    private void CloseLocked(int code, string reason)
    {
        if (_closed != 0)
            return;
        CloseStatus = (code, reason);
        Volatile.Write(ref _closed, 1);
        _closeRequested.TrySetResult();
        if (!_sending)
            _sendsDone.TrySetResult();
    }

    /// <summary>Discord's gateway limit: 120 frames in any 60 seconds.</summary>
    public const int FramesPerMinute = 120;

    /// <summary>
    /// Counts a received frame; false when it would be the 121st within the last 60 seconds. A
    /// sliding window (the times of the last 120 frames, in a ring): a fixed window that restarts
    /// every minute would let 240 frames through in two seconds across its boundary.
    /// </summary>
    public bool CountFrame()
    {
        var now = _time.GetTimestamp();
        _frameTimes ??= new long[FramesPerMinute];
        // The slot to overwrite holds the 120th most recent frame: it must be a minute old.
        var oldest = _frameTimes[_nextFrameSlot];
        if (_framesCounted >= FramesPerMinute && _time.GetElapsedTime(oldest, now) < TimeSpan.FromMinutes(1))
            return false;
        _frameTimes[_nextFrameSlot] = now;
        _nextFrameSlot = (_nextFrameSlot + 1) % FramesPerMinute;
        _framesCounted++;
        return true;
    }

    /// <summary>Waits until the connection is closed and every queued frame sent, then sends the close frame.</summary>
    public async Task SendLoopAsync()
    {
        try
        {
            await _closeRequested.Task;
            try
            {
                await _sendsDone.Task.WaitAsync(DrainTimeout, _time);
            }
            catch (TimeoutException)
            {
                (AbortConnection ?? _socket.Abort)();
                // The abort fails the pending send (which has no cancellation token of its own):
                // the connection is not over until that send has let go of its frame.
                await _sendsDone.Task.WaitAsync(SendReleaseTimeout, _time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                return;
            }
            if (CloseStatus is { } status && _socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                await _socket.CloseOutputAsync((WebSocketCloseStatus)status.Code, status.Reason, CancellationToken.None)
                    .WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or TimeoutException or ObjectDisposedException or IOException)
        {
            // The peer is gone; the receive loop notices too.
        }
        finally
        {
            if (_socket.State == WebSocketState.CloseSent)
                await AwaitPeerCloseAsync();
            await _closing.CancelAsync();
        }
    }

    /// <summary>The receive loop has ended: from now on only the close handshake reads the socket.</summary>
    public void StopReceiving() => _receivingStopped.TrySetResult();

    /// <summary>
    /// Lets the peer answer our close frame before the socket is torn down: aborting with its
    /// reply unread would reset the TCP connection and lose the close code we sent. When we closed
    /// because of what the peer sent, the receive loop has already stopped and nobody would read
    /// that reply, so it is read here, and the connection ends as soon as it comes rather than
    /// after the whole wait (clients that wait for the TCP close to report ours, as browsers and
    /// Node's WebSocket do, saw every close code 2 s late).
    /// </summary>
    private async Task AwaitPeerCloseAsync()
    {
        using var wait = new CancellationTokenSource(PeerCloseTimeout);
        var buffer = ArrayPool<byte>.Shared.Rent(256);
        try
        {
            await _receivingStopped.Task.WaitAsync(wait.Token);
            while (_socket.State == WebSocketState.CloseSent)
            {
                if ((await _socket.ReceiveAsync(buffer.AsMemory(), wait.Token)).MessageType == WebSocketMessageType.Close)
                    break;
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // No answer in time, or the peer went away: the socket is torn down all the same.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task SendAsync(Outgoing frame)
    {
        // Sized for this frame and returned after it: an idle connection holds no send buffer.
        var buffer = ArrayPool<byte>.Shared.Rent(frame.Payload.Length + (frame.Name?.Length ?? 4) + 64);
        try
        {
            // No cancellation token: with one, ManagedWebSocket takes its slow path for every frame
            // (an async state machine and a token registration, 2-3 % of the server's CPU under the
            // fan-out benchmark). A send that cannot finish is ended by aborting the connection
            // (the drain timeout in SendLoopAsync, or the peer going away), which fails it.
            var length = Write(frame, buffer);
            if (_zlib is null)
            {
                await _socket.SendAsync(buffer.AsMemory(0, length), WebSocketMessageType.Text, true, CancellationToken.None);
                return;
            }
            // zlib-stream: one deflate stream for the whole connection; each message ends with a
            // sync flush (00 00 ff ff), which is how clients know a message is complete.
            _zlibBuffer!.SetLength(0);
            _zlib.Write(buffer, 0, length);
            _zlib.Flush();
            await _socket.SendAsync(_zlibBuffer.GetBuffer().AsMemory(0, (int)_zlibBuffer.Length), WebSocketMessageType.Binary, true, CancellationToken.None);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static readonly ConcurrentDictionary<string, byte[]> EventNames = new();

    /// <summary>{"t":...,"s":...,"op":...,"d":...} around the payload bytes shared by every recipient; returns the length.</summary>
    private static int Write(Outgoing frame, Span<byte> buffer)
    {
        var at = 0;
        Append(buffer, ref at, "{\"t\":"u8);
        Append(buffer, ref at, frame.Name is null ? "null"u8 : EventNames.GetOrAdd(frame.Name, static name => Encoding.UTF8.GetBytes($"\"{name}\"")));
        Append(buffer, ref at, ",\"s\":"u8);
        if (frame.Seq is { } seq)
            AppendNumber(buffer, ref at, seq);
        else
            Append(buffer, ref at, "null"u8);
        Append(buffer, ref at, ",\"op\":"u8);
        AppendNumber(buffer, ref at, frame.Op);
        Append(buffer, ref at, ",\"d\":"u8);
        Append(buffer, ref at, frame.Payload);
        Append(buffer, ref at, "}"u8);
        return at;
    }

    private static void AppendNumber(Span<byte> buffer, ref int at, int value)
    {
        value.TryFormat(buffer[at..], out var written, default, CultureInfo.InvariantCulture);
        at += written;
    }

    private static void Append(Span<byte> buffer, ref int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(buffer[at..]);
        at += bytes.Length;
    }

    /// <summary>
    /// The next complete text message, or null when the socket closed. Over-long or binary
    /// messages close the connection with 4002, as Discord does.
    /// </summary>
    public async Task<JsonDocument?> ReceiveAsync(CancellationToken cancellationToken)
    {
        // Most of a connection's life is spent waiting here: wait with a small pooled buffer and
        // only move to a large one for the rare long frame (an SDP answer), so idle connections
        // do not each hold 64 KB.
        var buffer = ArrayPool<byte>.Shared.Rent(MaxIncomingFrame + 1);
        try
        {
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(MaxVoiceFrame + 1);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                var result = await _socket.ReceiveAsync(buffer.AsMemory(length, buffer.Length - length), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                    return null;
                length += result.Count;
                if (length > MaxVoiceFrame)
                {
                    Close(CloseCode.DecodeError, "Payload too large.");
                    return null;
                }
                if (result.EndOfMessage)
                    break;
            }
            LastFrameLength = length;
            try
            {
                // Parse(ReadOnlyMemory) keeps reading the memory it is given for the document's
                // lifetime, and the buffer goes back to the pool below while the handler still
                // reads the document: it gets a copy of its own (client frames are small and rare).
                return JsonDocument.Parse(buffer.AsSpan(0, length).ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
            }
            catch (JsonException)
            {
                Close(CloseCode.DecodeError, "Error while decoding payload.");
                return null;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        _closing.Dispose();
        if (_zlib is not null)
            await _zlib.DisposeAsync();
        if (_zlibBuffer is not null)
            await _zlibBuffer.DisposeAsync();
    }

    private readonly record struct Outgoing(int Op, int? Seq, string? Name, byte[] Payload, bool Replayed);
}
