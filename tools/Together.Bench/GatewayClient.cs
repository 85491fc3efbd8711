using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Together.Bench;

/// <summary>What a scenario wants to hear from the gateway connections.</summary>
internal interface IGatewayListener
{
    /// <summary>
    /// A MESSAGE_CREATE with <paramref name="nonce"/> (or -1) reached <paramref name="client"/>'s socket at
    /// <paramref name="arrivedAt"/> and was read at <paramref name="readAt"/> (Stopwatch ticks).
    /// </summary>
    void MessageCreated(GatewayClient client, long nonce, long arrivedAt, long readAt);

    /// <summary>A VOICE_OFFER frame (the whole frame, valid only during the call) arrived on <paramref name="client"/>.</summary>
    void VoiceOffer(GatewayClient client, ReadOnlySpan<byte> frame)
    {
    }
}

/// <summary>
/// One gateway connection as a Discord client opens it: HELLO, IDENTIFY, READY and the
/// GUILD_CREATEs, heartbeats with the last sequence number. Frames are read into a pooled buffer
/// and scanned with <see cref="Utf8JsonReader"/> for the few fields the benchmark needs (op, s, t,
/// and in <c>d</c> the nonce, heartbeat_interval, the READY guild count): no DOM, no strings.
/// </summary>
internal sealed class GatewayClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly HttpMessageInvoker _connector;
    private ArrivalStampedStream? _stream;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Account _account;
    private readonly int _intents;
    private readonly IGatewayListener? _listener;
    private readonly TaskCompletionSource _complete = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _receiving = Task.CompletedTask;
    private long _lastSeq = -1;
    private int _readyGuilds = -1;
    private int _guildCreates;

    public GatewayClient(int index, Account account, int intents, IGatewayListener? listener)
    {
        Index = index;
        _account = account;
        _intents = intents;
        _listener = listener;
        _socket.Options.KeepAliveInterval = TimeSpan.Zero;
        // The upgrade runs over a stream of our own, which learns when each read's bytes arrived.
        _connector = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var stream = await ArrivalStampedStream.ConnectAsync(context.DnsEndPoint, cancellationToken);
                _stream = stream as ArrivalStampedStream;
                return stream;
            },
        });
    }

    public int Index { get; }

    public long StartedAt { get; private set; }

    public long OpenedAt { get; private set; }

    public long ReadyAt { get; private set; }

    /// <summary>When READY and every GUILD_CREATE it announced had arrived.</summary>
    public long CompleteAt { get; private set; }

    public int HeartbeatIntervalMs { get; private set; }

    public long NextHeartbeatAt { get; set; }

    public int HeartbeatsSent;
    public int HeartbeatAcks;
    public long Frames;
    public long Bytes;

    /// <summary>Reads the kernel did not stamp (their arrival is taken as their read).</summary>
    public long UnstampedReads => _stream?.Unstamped ?? 0;

    /// <summary>Set when the server closed the connection (close code, reason) or it failed.</summary>
    public string? Closed { get; private set; }

    /// <summary>READY and all GUILD_CREATEs received.</summary>
    public Task Complete => _complete.Task;

    public async Task OpenAsync(Uri gateway, CancellationToken cancellationToken)
    {
        StartedAt = Stopwatch.GetTimestamp();
        await _socket.ConnectAsync(gateway, _connector, cancellationToken);
        OpenedAt = Stopwatch.GetTimestamp();
        _receiving = Task.Run(() => ReceiveLoopAsync(cancellationToken), CancellationToken.None);
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == buffer.Length)
                    {
                        var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, length).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = bigger;
                    }
                    result = await _socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
                    length += result.Count;
                } while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
                var now = Stopwatch.GetTimestamp();
                // The read that completed the frame took its last bytes; they (and the frame)
                // were on the socket no later than that read's stamp.
                var arrived = Math.Min(now, _stream?.LastArrival ?? now);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    Closed ??= $"{(int?)_socket.CloseStatus} {_socket.CloseStatusDescription}";
                    break;
                }
                Frames++;
                Bytes += length;
                await HandleAsync(buffer.AsMemory(0, length), arrived, now, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            if (!cancellationToken.IsCancellationRequested)
                Closed ??= ex.Message;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            _complete.TrySetException(new InvalidOperationException($"connection {Index} ended before READY: {Closed}"));
        }
    }

    private enum EventName { Other, MessageCreate, Ready, GuildCreate, VoiceOffer }

    private async ValueTask HandleAsync(ReadOnlyMemory<byte> frame, long arrived, long now, CancellationToken cancellationToken)
    {
        var scan = Scan(frame.Span);
        if (scan.Seq >= 0)
            _lastSeq = scan.Seq;
        switch (scan.Op)
        {
            case 0 when scan.Event == EventName.MessageCreate:
                _listener?.MessageCreated(this, scan.Nonce, arrived, now);
                break;
            case 0 when scan.Event == EventName.VoiceOffer:
                _listener?.VoiceOffer(this, frame.Span);
                break;
            case 0 when scan.Event == EventName.Ready:
                ReadyAt = now;
                _readyGuilds = scan.Count;
                CheckComplete(now);
                break;
            case 0 when scan.Event == EventName.GuildCreate:
                _guildCreates++;
                CheckComplete(now);
                break;
            case 10:
                HeartbeatIntervalMs = scan.Count;
                await SendAsync(IdentifyFrame(), cancellationToken);
                // Discord: the first heartbeat after interval * jitter, then every interval.
                NextHeartbeatAt = now + (long)(HeartbeatIntervalMs * Random.Shared.NextDouble() * Stopwatch.Frequency / 1000);
                break;
            case 11:
                Interlocked.Increment(ref HeartbeatAcks);
                break;
            case 1:
                await HeartbeatAsync(cancellationToken); // The server asked for one now.
                break;
        }
    }

    private void CheckComplete(long now)
    {
        if (_readyGuilds >= 0 && _guildCreates >= _readyGuilds && CompleteAt == 0)
        {
            CompleteAt = now;
            _complete.TrySetResult();
        }
    }

    private readonly record struct FrameScan(int Op, long Seq, EventName Event, long Nonce, int Count);

    /// <summary>op, s, t, and from d: nonce (MESSAGE_CREATE), heartbeat_interval (HELLO, in Count), guilds (READY: their number, in Count).</summary>
    private static FrameScan Scan(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        int op = -1, count = 0;
        long seq = -1, nonce = -1;
        var name = EventName.Other;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            return new FrameScan(-1, -1, name, -1, 0);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("op"u8))
            {
                reader.Read();
                op = reader.TokenType == JsonTokenType.Number ? reader.GetInt32() : -1;
            }
            else if (reader.ValueTextEquals("s"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number)
                    seq = reader.GetInt64();
            }
            else if (reader.ValueTextEquals("t"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                    name = reader.ValueTextEquals("MESSAGE_CREATE"u8) ? EventName.MessageCreate
                        : reader.ValueTextEquals("GUILD_CREATE"u8) ? EventName.GuildCreate
                        : reader.ValueTextEquals("READY"u8) ? EventName.Ready
                        : reader.ValueTextEquals("VOICE_OFFER"u8) ? EventName.VoiceOffer
                        : EventName.Other;
            }
            else if (reader.ValueTextEquals("d"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }
                // Top-level fields of d only; everything nested is skipped without being decoded.
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("nonce"u8))
                    {
                        reader.Read();
                        if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped)
                            nonce = Utf8Parser.TryParse(reader.ValueSpan, out long n, out var used) && used == reader.ValueSpan.Length ? n : -1;
                        else if (reader.TokenType == JsonTokenType.Number)
                            nonce = reader.GetInt64();
                    }
                    else if (reader.ValueTextEquals("heartbeat_interval"u8))
                    {
                        reader.Read();
                        count = reader.GetInt32();
                    }
                    else if (reader.ValueTextEquals("guilds"u8))
                    {
                        reader.Read();
                        if (reader.TokenType == JsonTokenType.StartArray)
                            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                            {
                                count++;
                                reader.Skip();
                            }
                    }
                    else
                    {
                        reader.Read();
                        reader.Skip();
                    }
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return new FrameScan(op, seq, name, nonce, count);
    }

    private byte[] IdentifyFrame()
    {
        var json = """{"op":2,"d":{"token":""" + JsonSerializer.Serialize(_account.Token) + ""","intents":""" + _intents.ToString(System.Globalization.CultureInfo.InvariantCulture)
            + ""","properties":{"os":"linux","browser":"together-bench","device":"together-bench"}}}""";
        return Encoding.UTF8.GetBytes(json);
    }

    /// <summary>Op 1 with the last sequence number seen (null before any).</summary>
    public async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        var seq = Interlocked.Read(ref _lastSeq);
        var frame = seq < 0 ? """{"op":1,"d":null}"""u8.ToArray() : Encoding.UTF8.GetBytes($$"""{"op":1,"d":{{seq}}}""");
        Interlocked.Increment(ref HeartbeatsSent);
        await SendAsync(frame, cancellationToken);
    }

    /// <summary>Sends one JSON frame (e.g. op 4 or op 40 for voice).</summary>
    public Task SendTextAsync(string json, CancellationToken cancellationToken) => SendAsync(Encoding.UTF8.GetBytes(json), cancellationToken);

    private async Task SendAsync(byte[] frame, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            if (_socket.State == WebSocketState.Open)
                await _socket.SendAsync(frame, WebSocketMessageType.Text, true, cancellationToken);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Closes with 1000, which ends the session on the server (Discord's rule), then waits for the receive loop.</summary>
    public async Task CloseAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _sendLock.WaitAsync(timeout.Token);
                try
                {
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bench done", timeout.Token);
                }
                finally
                {
                    _sendLock.Release();
                }
            }
            await _receiving.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or TimeoutException or ObjectDisposedException)
        {
            // Closing anyway.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        _socket.Abort();
        _socket.Dispose();
        _connector.Dispose();
        _sendLock.Dispose();
    }
}

/// <summary>
/// One timer for every connection's heartbeats (not one per socket): every 100 ms it sends op 1 on
/// the connections that are due, then schedules their next one an interval later.
/// </summary>
internal sealed class HeartbeatScheduler : IAsyncDisposable
{
    private readonly IReadOnlyList<GatewayClient> _clients;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public HeartbeatScheduler(IReadOnlyList<GatewayClient> clients)
    {
        _clients = clients;
        _loop = Task.Run(LoopAsync);
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                var now = Stopwatch.GetTimestamp();
                foreach (var client in _clients)
                {
                    if (client.HeartbeatIntervalMs <= 0 || client.NextHeartbeatAt == 0 || client.NextHeartbeatAt > now || client.Closed is not null)
                        continue;
                    client.NextHeartbeatAt = now + (long)client.HeartbeatIntervalMs * Stopwatch.Frequency / 1000;
                    _ = SendAsync(client);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    private async Task SendAsync(GatewayClient client)
    {
        try
        {
            await client.HeartbeatAsync(_stop.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The receive loop records why the connection ended.
        }
    }

    public int Sent => _clients.Sum(c => c.HeartbeatsSent);

    public int Acked => _clients.Sum(c => c.HeartbeatAcks);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
