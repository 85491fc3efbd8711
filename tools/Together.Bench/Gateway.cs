using System.Diagnostics;

namespace Together.Bench;

/// <summary>Opening many gateway connections at once, and closing them.</summary>
internal static class Gateway
{
    /// <summary>Intents a chat client asks for here: GUILDS | GUILD_MESSAGES | MESSAGE_CONTENT.</summary>
    public const int DefaultIntents = 1 | (1 << 9) | (1 << 15);

    /// <summary>
    /// Opens one connection per account, all at once, and waits until each has READY and every
    /// GUILD_CREATE (or <paramref name="timeout"/> passes). Returns the clients, failed ones included.
    /// </summary>
    public static async Task<GatewayClient[]> ConnectAllAsync(
        Uri url, IReadOnlyList<Account> accounts, int intents, IGatewayListener? listener, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clients = accounts.Select((a, i) => new GatewayClient(i, a, intents, listener)).ToArray();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        await Task.WhenAll(clients.Select(async c =>
        {
            try
            {
                await c.OpenAsync(url, cancellationToken);
                await c.Complete.WaitAsync(deadline.Token);
            }
            catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or OperationCanceledException or InvalidOperationException)
            {
                // Counted by the caller: CompleteAt stays 0.
            }
        }));
        cancellationToken.ThrowIfCancellationRequested();
        return clients;
    }

    public static async Task CloseAllAsync(IEnumerable<GatewayClient> clients) =>
        await Task.WhenAll(clients.Select(async c => await c.DisposeAsync()));

    public static double Ms(long ticks) => Math.Round(ticks * 1000.0 / Stopwatch.Frequency, 3);
}
