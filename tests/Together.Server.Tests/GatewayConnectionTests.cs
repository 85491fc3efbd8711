using System.Net.WebSockets;
using Microsoft.Extensions.Time.Testing;
using Together.Server.Features.Gateway;

namespace Together.Server.Tests;

/// <summary>How a gateway connection ends when its peer reads, and when it has stopped reading.</summary>
public sealed class GatewayConnectionTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Queued_frames_leave_before_the_close_frame()
    {
        var socket = new FakeSocket(stuck: false);
        await using var connection = new GatewayConnection(socket, zlibStream: false, queueCapacity: 8, TimeProvider.System);
        connection.EnqueueOp(Op.Hello, """{"heartbeat_interval":41250}"""u8.ToArray());
        connection.EnqueueOp(Op.HeartbeatAck, "null"u8.ToArray());
        connection.Close(4000, "bye");

        await connection.SendLoopAsync().WaitAsync(TimeSpan.FromSeconds(5), Cancel);

        Assert.Equal(["""{"t":null,"s":null,"op":10,"d":{"heartbeat_interval":41250}}""", """{"t":null,"s":null,"op":11,"d":null}"""], socket.Sent);
        Assert.Equal((WebSocketCloseStatus)4000, socket.ClosedWith);
        Assert.False(socket.Aborted);
    }

    [Fact]
    public async Task A_peer_that_stopped_reading_is_cut_off_after_the_drain_timeout()
    {
        var socket = new FakeSocket(stuck: true);
        var time = new FakeTimeProvider();
        var aborted = false;
        await using var connection = new GatewayConnection(socket, zlibStream: false, queueCapacity: 8, time)
        {
            AbortConnection = () =>
            {
                aborted = true;
                socket.Abort();
            },
        };
        connection.EnqueueOp(Op.Hello, "{}"u8.ToArray()); // never leaves: the peer does not read
        for (var i = 0; i < 20; i++)
            connection.EnqueueOp(Op.HeartbeatAck, "null"u8.ToArray());
        Assert.True(connection.IsClosed); // the queue filled up: "client too slow"

        var loop = connection.SendLoopAsync();
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(loop.IsCompleted); // still within the grace period
        time.Advance(TimeSpan.FromSeconds(6));
        await loop.WaitAsync(TimeSpan.FromSeconds(5), Cancel);

        Assert.True(aborted);
        Assert.True(connection.Closing.IsCancellationRequested); // the receive loop stops too
        Assert.Null(socket.ClosedWith);
    }

    [Fact]
    public async Task The_rate_limit_is_120_frames_in_any_60_seconds()
    {
        var time = new FakeTimeProvider();
        await using var connection = new GatewayConnection(new FakeSocket(stuck: false), zlibStream: false, queueCapacity: 8, time);
        Assert.True(connection.CountFrame());
        time.Advance(TimeSpan.FromSeconds(59));
        for (var i = 0; i < 119; i++)
            Assert.True(connection.CountFrame());
        Assert.False(connection.CountFrame()); // the 121st within a minute

        time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(connection.CountFrame()); // the first one has left the window...
        Assert.False(connection.CountFrame()); // ...but only it: a window restarted each minute would let 120 more in
    }

    [Fact]
    public async Task A_session_replays_exactly_what_followed_the_last_seq_while_its_buffer_wraps()
    {
        var session = new GatewaySession(1, 1, Intents.Guilds, 0, 1, replayLimit: 5);
        await using (var first = new GatewayConnection(new FakeSocket(stuck: false), zlibStream: false, queueCapacity: 64, TimeProvider.System))
        {
            session.Start(first, [("READY", "{}"u8.ToArray())]);
            for (var i = 2; i <= 40; i++) // wraps the 5 slots several times, after growing from fewer
                session.Dispatch(new DispatchBody($"E{i}", System.Text.Encoding.UTF8.GetBytes($"{{\"n\":{i}}}")));
            session.Detach(first, DateTimeOffset.UtcNow);
        }

        // The buffer holds 36..40: a client that saw 35 can resume, one that saw 34 cannot.
        Assert.Equal(ResumeOutcome.Gone, session.Resume(new GatewayConnection(new FakeSocket(stuck: false), false, 64, TimeProvider.System), 34));
        Assert.Equal(ResumeOutcome.InvalidSeq, session.Resume(new GatewayConnection(new FakeSocket(stuck: false), false, 64, TimeProvider.System), 41));

        var socket = new FakeSocket(stuck: false);
        await using var second = new GatewayConnection(socket, zlibStream: false, queueCapacity: 64, TimeProvider.System);
        Assert.Equal(ResumeOutcome.Resumed, session.Resume(second, 37));
        second.Close(4000, "done");
        await second.SendLoopAsync().WaitAsync(TimeSpan.FromSeconds(5), Cancel);

        Assert.Equal(
            ["""{"t":"E38","s":38,"op":0,"d":{"n":38}}""", """{"t":"E39","s":39,"op":0,"d":{"n":39}}""",
             """{"t":"E40","s":40,"op":0,"d":{"n":40}}""", """{"t":"RESUMED","s":41,"op":0,"d":{}}"""],
            socket.Sent);
        Assert.Equal(41, session.LastSeq);
        // RESUMED is in the buffer too: a client that saw it and lost the line again resumes from there.
        Assert.Equal(ResumeOutcome.Resumed, session.Resume(new GatewayConnection(new FakeSocket(stuck: false), false, 64, TimeProvider.System), 41));
    }

    /// <summary>A WebSocket that records what is sent, or whose sends never finish until it is aborted.</summary>
    private sealed class FakeSocket(bool stuck) : WebSocket
    {
        private readonly TaskCompletionSource _abort = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private WebSocketState _state = WebSocketState.Open;

        public List<string> Sent { get; } = [];

        public WebSocketCloseStatus? ClosedWith { get; private set; }

        public bool Aborted => _abort.Task.IsCompleted;

        public override WebSocketCloseStatus? CloseStatus => ClosedWith;

        public override string? CloseStatusDescription => null;

        public override WebSocketState State => _state;

        public override string? SubProtocol => null;

        public override void Abort()
        {
            _state = WebSocketState.Aborted;
            _abort.TrySetResult();
        }

        public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) =>
            CloseOutputAsync(closeStatus, statusDescription, cancellationToken);

        public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
        {
            ClosedWith = closeStatus;
            _state = WebSocketState.Closed;
            return Task.CompletedTask;
        }

        public override void Dispose()
        {
        }

        public override Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public override async Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
        {
            if (stuck)
            {
                await _abort.Task;
                throw new WebSocketException(WebSocketError.ConnectionClosedPrematurely);
            }
            Sent.Add(System.Text.Encoding.UTF8.GetString(buffer));
        }
    }
}

/// <summary>Settings that would make a gateway misbehave are refused at start-up.</summary>
public sealed class GatewaySettingsTests
{
    [Fact]
    public void The_replay_buffer_must_outlast_a_full_outgoing_queue()
    {
        new GatewaySettings().Validate();
        // The old defaults: a client cut off for a full queue was always past the replay window.
        var error = Assert.Throws<InvalidOperationException>(() => new GatewaySettings { OutgoingQueueSize = 2048, ReplayBufferSize = 1000 }.Validate());
        Assert.Contains("Gateway:ReplayBufferSize", error.Message, StringComparison.Ordinal);
        new GatewaySettings { OutgoingQueueSize = 2048, ReplayBufferSize = 2048 + GatewaySettings.InFlightMargin }.Validate();
    }
}

/// <summary>The message a connection without MESSAGE_CONTENT gets, made from the full payload.</summary>
public sealed class MessageContentTests
{
    [Fact]
    public void Content_embeds_and_attachments_are_blanked_and_everything_else_is_kept_byte_for_byte()
    {
        var full = """{"id":"5","content":"gg \u00e9 \"quoted\" <@1>","mentions":[{"id":"1","username":"bob"}],"embeds":[{"title":"t"}],"attachments":[{"id":"9","filename":"a.png"}],"nonce":null,"referenced_message":{"id":"4","content":"earlier","embeds":[],"attachments":[]},"member":{"roles":[],"nick":"n"}}"""u8.ToArray();

        var blanked = System.Text.Encoding.UTF8.GetString(MessageContent.Blanked(full));

        // The replied-to message keeps its content, as before: only the top level is the event's message.
        Assert.Equal("""{"id":"5","content":"","mentions":[{"id":"1","username":"bob"}],"embeds":[],"attachments":[],"nonce":null,"referenced_message":{"id":"4","content":"earlier","embeds":[],"attachments":[]},"member":{"roles":[],"nick":"n"}}""", blanked);
    }
}
