using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Together.Server.Features.Gateway;

/// <summary>
/// One WebSocket. A receive loop parses frames and hands each to its opcode's handler; a send
/// loop drains a bounded queue. A client that cannot keep up fills the queue and is cut loose
/// (it can resume), so a slow phone never grows the server's memory.
/// </summary>
public sealed class GatewayConnection : IAsyncDisposable
{
    /// <summary>Discord's limit for client frames.</summary>
    public const int MaxIncomingFrame = 4096;

    /// <summary>Voice answers carry SDP, about half a kilobyte per participant in the room.</summary>
    public const int MaxVoiceFrame = 64 * 1024;

    private const int SendBufferSize = 4096;

    private readonly WebSocket _socket;
    private readonly Channel<Outgoing> _outgoing;
    private readonly ZLibStream? _zlib;
    private readonly MemoryStream? _zlibBuffer;
    private readonly CancellationTokenSource _closing = new();
    private readonly TimeProvider _time;
    private int _closed;
    private int _framesInWindow;
    private long _windowStartTicks;

    public GatewayConnection(WebSocket socket, bool zlibStream, int queueCapacity, TimeProvider time)
    {
        _socket = socket;
        _time = time;
        _outgoing = Channel.CreateBounded<Outgoing>(new BoundedChannelOptions(queueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.DropWrite,
        });
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

    public DateTimeOffset LastHeartbeat { get; set; }

    public (int Code, string Reason)? CloseStatus { get; private set; }

    /// <summary>Bytes in the frame <see cref="ReceiveAsync"/> returned last.</summary>
    public int LastFrameLength { get; private set; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    public CancellationToken Closing => _closing.Token;

    /// <summary>A dispatch (op 0) with its sequence number.</summary>
    public void EnqueueDispatch(SentDispatch dispatch) => Enqueue(new Outgoing(Op.Dispatch, dispatch.Seq, dispatch.Name, dispatch.Payload));

    /// <summary>Any other opcode (HELLO, HEARTBEAT_ACK, INVALID_SESSION, RECONNECT).</summary>
    public void EnqueueOp(int op, byte[] payload) => Enqueue(new Outgoing(op, null, null, payload));

    private void Enqueue(Outgoing frame)
    {
        if (IsClosed)
            return;
        if (!_outgoing.Writer.TryWrite(frame))
            Close(CloseCode.UnknownError, "Client too slow: outgoing queue full.");
    }

    /// <summary>Closes after what is queued so far has been sent.</summary>
    public void Close(int code, string reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
            return;
        CloseStatus = (code, reason);
        _outgoing.Writer.TryComplete();
    }

    /// <summary>Counts a received frame; false past Discord's 120 frames per 60 seconds.</summary>
    public bool CountFrame()
    {
        var now = _time.GetUtcNow().UtcTicks;
        if (now - _windowStartTicks > TimeSpan.TicksPerMinute)
        {
            _windowStartTicks = now;
            _framesInWindow = 0;
        }
        return ++_framesInWindow <= 120;
    }

    /// <summary>Writes queued frames until closed, then the close frame.</summary>
    public async Task SendLoopAsync()
    {
        var buffer = new ArrayBufferWriter<byte>(SendBufferSize);
        try
        {
            await foreach (var frame in _outgoing.Reader.ReadAllAsync(_closing.Token))
            {
                buffer.ResetWrittenCount();
                Write(frame, buffer);
                await SendAsync(buffer.WrittenMemory);
                // A GUILD_CREATE can be 100 KB; keeping a buffer that size per connection would
                // cost 50 MB at 500 connections for frames that come once.
                if (buffer.Capacity > SendBufferSize * 4)
                    buffer = new ArrayBufferWriter<byte>(SendBufferSize);
            }
            if (CloseStatus is { } status && _socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                await _socket.CloseOutputAsync((WebSocketCloseStatus)status.Code, status.Reason, CancellationToken.None)
                    .WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or TimeoutException or ObjectDisposedException)
        {
            // The peer is gone; the receive loop notices too.
        }
        finally
        {
            Close(CloseCode.UnknownError, "Connection lost.");
            // Let the peer answer our close frame before the socket is torn down: aborting with
            // its reply unread would reset the TCP connection and lose the close code we sent.
            for (var waited = 0; _socket.State == WebSocketState.CloseSent && waited < 2000; waited += 50)
                await Task.Delay(50);
            await _closing.CancelAsync();
        }
    }

    private async Task SendAsync(ReadOnlyMemory<byte> json)
    {
        if (_zlib is null)
        {
            await _socket.SendAsync(json, WebSocketMessageType.Text, true, _closing.Token);
            return;
        }
        // zlib-stream: one deflate stream for the whole connection; each message ends with a
        // sync flush (00 00 ff ff), which is how clients know a message is complete.
        _zlibBuffer!.SetLength(0);
        _zlib.Write(json.Span);
        _zlib.Flush();
        await _socket.SendAsync(_zlibBuffer.GetBuffer().AsMemory(0, (int)_zlibBuffer.Length), WebSocketMessageType.Binary, true, _closing.Token);
    }

    private static readonly ConcurrentDictionary<string, byte[]> EventNames = new();

    /// <summary>{"t":...,"s":...,"op":...,"d":...} around the payload bytes shared by every recipient.</summary>
    private static void Write(Outgoing frame, ArrayBufferWriter<byte> buffer)
    {
        Append(buffer, "{\"t\":"u8);
        if (frame.Name is null)
            Append(buffer, "null"u8);
        else
            Append(buffer, EventNames.GetOrAdd(frame.Name, static name => Encoding.UTF8.GetBytes($"\"{name}\"")));
        Append(buffer, ",\"s\":"u8);
        if (frame.Seq is { } seq)
            AppendNumber(buffer, seq);
        else
            Append(buffer, "null"u8);
        Append(buffer, ",\"op\":"u8);
        AppendNumber(buffer, frame.Op);
        Append(buffer, ",\"d\":"u8);
        Append(buffer, frame.Payload);
        Append(buffer, "}"u8);
    }

    private static void AppendNumber(ArrayBufferWriter<byte> buffer, int value)
    {
        var span = buffer.GetSpan(11);
        value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        buffer.Advance(written);
    }

    private static void Append(ArrayBufferWriter<byte> buffer, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(buffer.GetSpan(bytes.Length));
        buffer.Advance(bytes.Length);
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
                return JsonDocument.Parse(buffer.AsMemory(0, length), new JsonDocumentOptions { MaxDepth = 16 });
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

    private readonly record struct Outgoing(int Op, int? Seq, string? Name, byte[] Payload);
}
