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
        var session = new GatewaySession(1, 1, Intents.Guilds, 0, 1, replayLimit: 5, new DispatchLog(64));
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

    [Fact]
    public async Task A_resume_needs_the_missed_bodies_still_in_the_log_and_replays_them_across_the_32_bit_wrap()
    {
        // Numbers cross 2^32 while the session keeps only their low 32 bits.
        var log = new DispatchLog(8, startAfter: uint.MaxValue - 3);
        var session = new GatewaySession(1, 1, Intents.Guilds, 0, 1, replayLimit: 64, log);
        var other = new GatewaySession(2, 2, Intents.Guilds, 0, 1, replayLimit: 64, log);
        await using (var first = new GatewayConnection(new FakeSocket(stuck: false), zlibStream: false, queueCapacity: 64, TimeProvider.System))
        {
            session.Start(first, [("READY", "{}"u8.ToArray())]);
            other.Start(new GatewayConnection(new FakeSocket(stuck: false), false, 64, TimeProvider.System), [("READY", "{}"u8.ToArray())]);
            for (var i = 2; i <= 7; i++)
            {
                // One body for both sessions: logged once.
                var body = new DispatchBody($"E{i}", System.Text.Encoding.UTF8.GetBytes($"{{\"n\":{i}}}"));
                session.Dispatch(body);
                other.Dispatch(body);
            }
            session.Detach(first, DateTimeOffset.UtcNow);
        }
        Assert.Equal((long)uint.MaxValue + 5, log.Last); // two READYs and six shared bodies

        // Bodies meant only for the other session push this one's oldest out of the log (8 slots):
        // the session's own buffer (64) still covers seq 2, the log no longer does.
        for (var i = 0; i < 4; i++)
            other.Dispatch("ELSEWHERE", "{}"u8.ToArray());
        Assert.Equal(ResumeOutcome.Gone, session.Resume(new GatewayConnection(new FakeSocket(stuck: false), false, 64, TimeProvider.System), 1));
        Assert.Equal(ResumeOutcome.Gone, session.Resume(new GatewayConnection(new FakeSocket(stuck: false), false, 64, TimeProvider.System), 2));

        var socket = new FakeSocket(stuck: false);
        await using var second = new GatewayConnection(socket, zlibStream: false, queueCapacity: 64, TimeProvider.System);
        Assert.Equal(ResumeOutcome.Resumed, session.Resume(second, 3));
        second.Close(4000, "done");
        await second.SendLoopAsync().WaitAsync(TimeSpan.FromSeconds(5), Cancel);
        Assert.Equal(
            ["""{"t":"E4","s":4,"op":0,"d":{"n":4}}""", """{"t":"E5","s":5,"op":0,"d":{"n":5}}""",
             """{"t":"E6","s":6,"op":0,"d":{"n":6}}""", """{"t":"E7","s":7,"op":0,"d":{"n":7}}""",
             """{"t":"RESUMED","s":8,"op":0,"d":{}}"""],
            socket.Sent);

        // RESUMED is one body for every session: once it has left the log it is logged afresh, and
        // a resume that has to replay it finds it under its new number.
        for (var i = 0; i < 10; i++)
            other.Dispatch("ELSEWHERE", "{}"u8.ToArray());
        await using var third = new GatewayConnection(new FakeSocket(stuck: false), zlibStream: false, queueCapacity: 64, TimeProvider.System);
        Assert.Equal(ResumeOutcome.Resumed, session.Resume(third, 8)); // RESUMED is seq 9 now
        Assert.Equal(ResumeOutcome.Resumed, session.Resume(new GatewayConnection(new FakeSocket(stuck: false), false, 64, TimeProvider.System), 8));
        // Seq 8, the first RESUMED, went under a number the log has forgotten.
        Assert.Equal(ResumeOutcome.Gone, session.Resume(new GatewayConnection(new FakeSocket(stuck: false), false, 64, TimeProvider.System), 7));
    }

    [Fact]
    public void The_dispatch_log_numbers_a_body_once_and_forgets_the_oldest()
    {
        var log = new DispatchLog(4);
        var shared = new DispatchBody("E", "{}"u8.ToArray());
        Assert.Equal(1, log.Append(shared));
        Assert.Equal(1, log.Append(shared));
        for (var i = 0; i < 3; i++)
            log.Append(new DispatchBody("F", "{}"u8.ToArray()));
        Assert.Same(shared, log.Get(1));
        log.Append(new DispatchBody("F", "{}"u8.ToArray()));
        Assert.Null(log.Get(1));
        Assert.Equal(6, log.Append(shared)); // fell out, so logged again
        Assert.Null(log.Get(0));
        Assert.Null(log.Get(7));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DispatchLog(6));
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
