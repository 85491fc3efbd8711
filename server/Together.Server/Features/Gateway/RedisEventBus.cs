using System.Diagnostics.Metrics;
using System.Text.Json;
using StackExchange.Redis;

namespace Together.Server.Features.Gateway;

/// <summary>
/// Several server instances behind one load balancer: every event is published to one Redis
/// pub/sub channel and every instance (this one included) feeds what it hears to its own
/// dispatcher. Going through Redis even for local events keeps a single order of events on every
/// instance. Redis delivers a channel's messages in publish order per connection; the
/// subscription queue hands them to the dispatcher one at a time.
///
/// Pub/sub keeps nothing for a subscriber that is away: when the subscription's connection comes
/// back, whatever was published meanwhile is gone for this instance. Its guild cache may then be
/// stale and its clients may have missed events, so it drops the cache and has every client
/// reconnect and identify anew (<see cref="Dispatcher.EnqueueResync"/>).
/// </summary>
public sealed class RedisEventBus(IConnectionMultiplexer redis, Dispatcher dispatcher, ILogger<RedisEventBus> logger) : IEventBus, IHostedService
{
    public static readonly RedisChannel Channel = RedisChannel.Literal("together:gateway:events");

    private static readonly Meter Meter = new("Together.Gateway");

    /// <summary>Events whose write committed but that never reached Redis: no instance delivered them.</summary>
    private static readonly Counter<long> PublishFailures = Meter.CreateCounter<long>("together.gateway.publish_failures", "{event}",
        "Gateway events lost because Redis could not take them");

    private static readonly JsonSerializerOptions EnvelopeOptions = new() { IncludeFields = true };
    private ChannelMessageQueue? _subscription;

    public void Publish(GatewayEvent gatewayEvent)
    {
        var envelope = JsonSerializer.SerializeToUtf8Bytes(gatewayEvent, EnvelopeOptions);
        _ = PublishAsync(envelope, gatewayEvent.Name);
    }

    private async Task PublishAsync(byte[] envelope, string name)
    {
        try
        {
            await redis.GetSubscriber().PublishAsync(Channel, envelope);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The write is committed and no instance will deliver this event; retrying later
            // would deliver it out of order. While Redis is down, commands wait in the client's
            // backlog up to its timeout, so a short outage loses nothing; a long one lands here.
            // Clients catch up over REST; say so loudly: fan-out is down.
            PublishFailures.Add(1);
            logger.LogError(ex, "Could not publish {Event} to Redis: connected clients will not see it", name);
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Subscription)
            logger.LogError(e.Exception, "Lost the Redis subscription ({Failure}): events from every instance are missed until it is back", e.FailureType);
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType != ConnectionType.Subscription)
            return;
        logger.LogWarning("The Redis subscription is back: dropping the guild cache and asking every client to reconnect");
        dispatcher.EnqueueResync();
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed += OnConnectionFailed;
        redis.ConnectionRestored += OnConnectionRestored;
        _subscription = await redis.GetSubscriber().SubscribeAsync(Channel);
        _subscription.OnMessage(message =>
        {
            try
            {
                if (JsonSerializer.Deserialize<GatewayEvent>((byte[])message.Message!, EnvelopeOptions) is { } gatewayEvent)
                    dispatcher.Enqueue(gatewayEvent);
            }
            catch (JsonException ex)
            {
                logger.LogError(ex, "Dropped an unreadable event from Redis");
            }
        });
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed -= OnConnectionFailed;
        redis.ConnectionRestored -= OnConnectionRestored;
        if (_subscription is not null)
            await _subscription.UnsubscribeAsync();
    }
}
