using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Together.Data;
using Together.Server.Features.Gateway;

namespace Together.Server.Tests;

/// <summary>RESUME at the edges: a client cut off for reading too slowly, a seq from the future, a window gone by.</summary>
public abstract class GatewayResumeTests(DatabaseProvider provider) : CommunityTest(provider)
{
    public sealed class OnPostgres() : GatewayResumeTests(DatabaseProvider.Postgres);

    public sealed class OnSqlite() : GatewayResumeTests(DatabaseProvider.Sqlite);

    // A small queue fills after a few dozen messages; the replay buffer keeps its default.
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Gateway:OutgoingQueueSize"] = "32",
        ["Gateway:DrainTimeout"] = "00:00:01",
    };

    private async Task<string> SayAsync(string content) =>
        (await (await AliceHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content })).ExpectAsync(HttpStatusCode.OK))
            .GetProperty("id").GetString()!;

    private async Task<GatewayClient> ResumeAsync(string sessionId, int seq)
    {
        var client = await GatewayClient.ConnectAsync(Server);
        await client.NextAsync(f => f.Op == 10);
        await client.SendAsync(new { op = 6, d = new { token = Bob.Token, session_id = sessionId, seq } });
        return client;
    }

    /// <summary>Bob on the gateway, then his network gone: his session id and the last seq he read.</summary>
    private async Task<(string SessionId, int LastSeq)> ConnectAndDropBobAsync()
    {
        var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        var dropped = (bob.SessionId!, bob.LastSeq!.Value);
        bob.Abort();
        await bob.DisposeAsync();
        return dropped;
    }

    /// <summary>Dispatches up to RESUMED, checked to carry every seq from <paramref name="lastSeq"/> + 1 in order.</summary>
    private static async Task<List<Frame>> ReplayUntilResumedAsync(GatewayClient back, int lastSeq)
    {
        var replayed = new List<Frame>();
        Frame next;
        while ((next = await back.NextAsync(f => f.Op == 0)).T != "RESUMED")
            replayed.Add(next);
        Assert.Equal(Enumerable.Range(lastSeq + 1, replayed.Count + 1), replayed.Select(f => f.S!.Value).Append(next.S!.Value));
        return replayed;
    }

    [Fact]
    public async Task A_client_cut_off_for_reading_too_slowly_resumes_with_every_missed_dispatch()
    {
        await SetUpCommunityAsync();
        var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token, receiveBuffer: 4096);
        var sessionId = bob.SessionId!;
        var session = Server.Services.GetRequiredService<SessionRegistry>().Find(sessionId)!;
        var seenByBob = new List<string>();
        bob.Received += f =>
        {
            if (f.T == "MESSAGE_CREATE")
                lock (seenByBob)
                    seenByBob.Add(f.D.GetProperty("id").GetString()!);
        };
        bob.PauseReading();

        // Bob reads nothing: the socket's buffers fill, then his outgoing queue, and the server
        // cuts him loose (4000). How many messages that takes depends on the kernel's buffers.
        var posted = new List<string>();
        var padding = new string('x', 1900);
        while (session.Connection is { IsClosed: false })
        {
            Assert.True(posted.Count < 3000, "the slow connection was never cut off");
            posted.Add(await SayAsync($"{posted.Count} {padding}"));
        }
        for (var i = 0; i < 3; i++)
            posted.Add(await SayAsync($"after the cut {i}"));
        // His network dies with whatever was still unread in it.
        var lastSeq = bob.LastSeq!.Value;
        bob.Abort();
        await bob.DisposeAsync();

        await using var back = await ResumeAsync(sessionId, lastSeq);
        var replayed = await ReplayUntilResumedAsync(back, lastSeq);

        List<string> seen;
        lock (seenByBob)
            seen = [.. seenByBob];
        Assert.Equal(posted, seen.Concat(replayed.Where(f => f.T == "MESSAGE_CREATE").Select(f => f.D.GetProperty("id").GetString()!)));
    }

    [Fact]
    public async Task A_client_that_stops_reading_without_hanging_up_is_cut_off_after_the_drain_timeout()
    {
        await SetUpCommunityAsync();
        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token, receiveBuffer: 4096);
        var connection = Server.Services.GetRequiredService<SessionRegistry>().Find(bob.SessionId!)!.Connection!;
        var gateway = Server.Services.GetRequiredService<GatewayServer>();
        bob.PauseReading();
        var padding = new string('x', 1900);
        for (var i = 0; !connection.IsClosed; i++)
        {
            Assert.True(i < 3000, "the slow connection was never cut off");
            await SayAsync($"{i} {padding}");
        }

        // A send is stuck on bob's full socket and he never hangs up. After the drain timeout
        // (1 s here) the server cuts the connection, which must fail that send at once: the
        // connection only counts as gone once its send has let go (or after 5 more seconds).
        var cut = Stopwatch.StartNew();
        while (gateway.Connections.Contains(connection))
        {
            Assert.True(cut.Elapsed < TimeSpan.FromSeconds(4), "the connection outlived its drain timeout: its stuck send was not released");
            await Task.Delay(50, Cancel);
        }
    }

    [Fact]
    public async Task A_seq_the_session_never_sent_closes_with_4007()
    {
        await SetUpCommunityAsync();
        var (sessionId, lastSeq) = await ConnectAndDropBobAsync();

        await using (var future = await ResumeAsync(sessionId, lastSeq + 5))
            Assert.Equal(4007, await future.ClosedAsync());

        // The session itself is intact: a truthful resume still works, replaying whatever was
        // dispatched after bob's last frame (an event of the set-up may still have been in flight).
        await using var back = await ResumeAsync(sessionId, lastSeq);
        await ReplayUntilResumedAsync(back, lastSeq);
    }

    [Fact]
    public async Task A_resume_after_the_window_is_an_invalid_session()
    {
        await SetUpCommunityAsync();
        var (sessionId, lastSeq) = await ConnectAndDropBobAsync();
        var sessions = Server.Services.GetRequiredService<SessionRegistry>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (sessions.Find(sessionId)?.DetachedAt is null && DateTime.UtcNow < deadline)
            await Task.Delay(20, Cancel);

        // The janitor's sweep as it runs once the three-minute window is over.
        Server.Services.GetRequiredService<GatewayJanitor>().Sweep(DateTimeOffset.UtcNow.AddMinutes(4));

        await using var late = await ResumeAsync(sessionId, lastSeq);
        Assert.False((await late.NextAsync(f => f.Op == 9)).D.GetBoolean());
    }
}
