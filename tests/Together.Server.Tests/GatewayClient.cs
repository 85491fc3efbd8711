using System.IO.Compression;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;

namespace Together.Server.Tests;

/// <summary>A received gateway frame.</summary>
public sealed record Frame(int Op, JsonElement D, int? S, string? T);

/// <summary>
/// A test's own gateway client over a real WebSocket: it records every frame so a test can wait
/// for the dispatch it expects, and can drop, close or misbehave on purpose.
/// </summary>
public sealed class GatewayClient : IAsyncDisposable
{
    public const int AllIntents = (1 << 17) - 1;

    private readonly ClientWebSocket _socket = new();
    private readonly Channel<Frame> _frames = Channel.CreateUnbounded<Frame>();
    private readonly bool _zlib;
    private Task? _receiving;
    private SocketsHttpHandler? _handler;

    private GatewayClient(bool zlib) => _zlib = zlib;

    public int? LastSeq { get; private set; }

    public string? SessionId { get; private set; }

    public JsonElement Ready { get; private set; }

    /// <summary>Sequence numbers of READY and of each GUILD_CREATE that followed it.</summary>
    public List<int?> OpeningSeqs { get; } = [];

    public List<JsonElement> Guilds { get; } = [];

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public int? CloseCode => (int?)_socket.CloseStatus;

    public int HeartbeatInterval { get; private set; }

    public System.Collections.Concurrent.ConcurrentQueue<byte[]> RawBinaryFrames { get; } = new();

    /// <summary>Every frame as it arrives, for observers that must not consume the test's queue.</summary>
    public event Action<Frame>? Received;

    public static Task<GatewayClient> ConnectAsync(RunningServer server, string query = "?v=10&encoding=json", bool zlib = false) =>
        ConnectAsync(new Uri($"ws://{server.Address.Authority}/gateway{query}"), zlib);

    /// <param name="receiveBuffer">The TCP receive buffer in bytes (default: the system's), small to make a slow reader.</param>
    public static async Task<GatewayClient> ConnectAsync(Uri uri, bool zlib = false, int? receiveBuffer = null)
    {
        var client = new GatewayClient(zlib);
        var ws = new UriBuilder(uri) { Scheme = uri.Scheme == "https" ? "wss" : uri.Scheme == "http" ? "ws" : uri.Scheme }.Uri;
        if (receiveBuffer is { } size)
        {
            // Set before connecting, so the window the server sees is small from the start.
            var handler = client._handler = new SocketsHttpHandler
            {
                ConnectCallback = async (context, cancellationToken) =>
                {
                    var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp)
                    {
                        ReceiveBufferSize = size,
                    };
                    try
                    {
                        await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                        return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                },
            };
            await client._socket.ConnectAsync(ws, new HttpMessageInvoker(handler, disposeHandler: false), TestContext.Current.CancellationToken);
        }
        else
            await client._socket.ConnectAsync(ws, TestContext.Current.CancellationToken);
        client._receiving = client.ReceiveLoopAsync();
        return client;
    }

    private volatile TaskCompletionSource? _paused;

    /// <summary>Stops reading the socket (after the frame being read, if any): a client too slow to keep up.</summary>
    public void PauseReading() => _paused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void ResumeReading() => Interlocked.Exchange(ref _paused, null)?.TrySetResult();

    /// <summary>HELLO, IDENTIFY, READY and every GUILD_CREATE READY announced.</summary>
    public static Task<GatewayClient> IdentifyAsync(RunningServer server, string token, int intents = AllIntents, object? presence = null, int? receiveBuffer = null) =>
        IdentifyAsync(new Uri($"ws://{server.Address.Authority}/gateway?v=10&encoding=json"), token, intents, presence, receiveBuffer);

    public static async Task<GatewayClient> IdentifyAsync(Uri uri, string token, int intents = AllIntents, object? presence = null, int? receiveBuffer = null)
    {
        var client = await ConnectAsync(uri, receiveBuffer: receiveBuffer);
        var hello = await client.NextAsync(f => f.Op == 10);
        client.HeartbeatInterval = hello.D.GetProperty("heartbeat_interval").GetInt32();
        await client.SendAsync(new
        {
            op = 2,
            d = new { token, intents, properties = new { os = "linux", browser = "tests", device = "tests" }, presence },
        });
        var ready = await client.DispatchAsync("READY");
        client.Ready = ready.D;
        client.OpeningSeqs.Add(ready.S);
        client.SessionId = ready.D.GetProperty("session_id").GetString();
        foreach (var _ in ready.D.GetProperty("guilds").EnumerateArray())
        {
            var guild = await client.DispatchAsync("GUILD_CREATE");
            client.OpeningSeqs.Add(guild.S);
            client.Guilds.Add(guild.D);
        }
        return client;
    }

    public async Task SendAsync(object frame) => await SendRawAsync(JsonSerializer.Serialize(frame));

    public async Task SendRawAsync(string text) =>
        await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, TestContext.Current.CancellationToken);

    /// <summary>The next frame matching <paramref name="match"/>, skipping others; fails after the timeout.</summary>
    public async Task<Frame> NextAsync(Func<Frame, bool> match, TimeSpan? timeout = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            while (true)
            {
                var frame = await _frames.Reader.ReadAsync(cts.Token);
                if (match(frame))
                    return frame;
            }
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException("expected frame did not arrive");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"connection closed ({CloseCode}) before the expected frame arrived");
        }
    }

    public Task<Frame> DispatchAsync(string name, Func<JsonElement, bool>? match = null, TimeSpan? timeout = null) =>
        NextAsync(f => f.Op == 0 && f.T == name && (match is null || match(f.D)), timeout);

    /// <summary>Everything received within <paramref name="window"/>.</summary>
    public async Task<List<Frame>> DrainAsync(TimeSpan window)
    {
        var frames = new List<Frame>();
        using var cts = new CancellationTokenSource(window);
        try
        {
            while (true)
                frames.Add(await _frames.Reader.ReadAsync(cts.Token));
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            return frames;
        }
    }

    /// <summary>Waits for the server to close the connection and returns its close code.</summary>
    public async Task<int?> ClosedAsync(TimeSpan? timeout = null)
    {
        await _receiving!.WaitAsync(timeout ?? TimeSpan.FromSeconds(10));
        return CloseCode;
    }

    /// <summary>Drops the TCP connection without a close handshake, as a network blip does.</summary>
    public void Abort() => _socket.Abort();

    public async Task CloseAsync(WebSocketCloseStatus status = WebSocketCloseStatus.NormalClosure)
    {
        if (_socket.State == WebSocketState.Open)
            await _socket.CloseAsync(status, "bye", TestContext.Current.CancellationToken);
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[1 << 20];
        using var compressed = new MemoryStream();
        using var inflater = _zlib ? new ZLibStream(new ChunkFeed(compressed), CompressionMode.Decompress) : null;
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                if (_paused is { } paused)
                    await paused.Task;
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                    length += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
                if (result.MessageType == WebSocketMessageType.Close)
                    break;
                string text;
                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    RawBinaryFrames.Enqueue(buffer[..length]);
                    text = Inflate(inflater!, compressed, buffer.AsSpan(0, length));
                }
                else
                    text = Encoding.UTF8.GetString(buffer, 0, length);
                var root = JsonDocument.Parse(text).RootElement.Clone();
                var frame = new Frame(root.GetProperty("op").GetInt32(), root.TryGetProperty("d", out var d) ? d : default,
                    root.TryGetProperty("s", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt32() : null,
                    root.TryGetProperty("t", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null);
                if (frame.S is { } seq)
                    LastSeq = seq;
                Received?.Invoke(frame);
                _frames.Writer.TryWrite(frame);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Closed under us: the test looks at the close code.
        }
        finally
        {
            _frames.Writer.TryComplete();
        }
    }

    /// <summary>One inflater for the whole connection (zlib-stream): feed each message, read what it yields.</summary>
    private static string Inflate(ZLibStream inflater, MemoryStream feed, ReadOnlySpan<byte> message)
    {
        feed.SetLength(0);
        feed.Write(message);
        feed.Position = 0;
        using var output = new MemoryStream();
        var chunk = new byte[65536];
        int read;
        while ((read = inflater.Read(chunk)) > 0)
            output.Write(chunk, 0, read);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception ex) when (ex is WebSocketException or TimeoutException or OperationCanceledException)
        {
            // Already gone.
        }
        _socket.Dispose();
        _handler?.Dispose();
    }

    /// <summary>A stream that hands the inflater whatever the current message holds, and no more.</summary>
    private sealed class ChunkFeed(MemoryStream current) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => current.Read(buffer, offset, count);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
