using System.Text.Json;
using StackExchange.Redis;

namespace Together.Server.Features.Gateway;

/// <summary>
/// Several server instances behind one load balancer: every event is published to one Redis
/// pub/sub channel and every instance (this one included) feeds what it hears to its own
/// dispatcher. Going through Redis even for local events keeps a single order of events on every
/// instance. Redis delivers a channel's messages in publish order per connection; the
/// subscription queue hands them to the dispatcher one at a time.
/// </summary>
public sealed class RedisEventBus(IConnectionMultiplexer redis, Dispatcher dispatcher, ILogger<RedisEventBus> logger) : IEventBus, IHostedService
{
    public static readonly RedisChannel Channel = RedisChannel.Literal("together:gateway:events");

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
            // The write is committed; clients that miss this event catch up on their next
            // resume or REST fetch. Say so loudly: fan-out is down.
            logger.LogError(ex, "Could not publish {Event} to Redis", name);
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
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
        if (_subscription is not null)
            await _subscription.UnsubscribeAsync();
    }
}
