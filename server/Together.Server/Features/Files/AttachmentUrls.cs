using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Together.Data.Entities;
using Together.Server.Features.Auth;

namespace Together.Server.Features.Files;

/// <summary>
/// Attachment URLs as Discord's CDN hands them out: <c>/attachments/{channel}/{id}/{name}?ex=&amp;is=&amp;hm=</c>,
/// signed and expiring. Only members who can read the channel are ever given one (in message
/// objects), and a leaked link stops working. The issue time is rounded to a window so the same
/// file keeps the same URL for a while and browsers can cache it.
/// </summary>
public sealed class AttachmentUrls
{
    private readonly byte[] _key;
    private readonly FileSettings _settings;
    private readonly TimeProvider _time;
    private readonly IHttpContextAccessor _http;

    public AttachmentUrls(SigningKeyStore keys, FileSettings settings, TimeProvider time, IHttpContextAccessor http,
        Gateway.GatewaySettings? gateway = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        // Its own key, derived from the token key: one secret to configure, two separate uses.
        _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, keys.GetOrCreateKey(), 32, info: "together attachment urls"u8.ToArray());
        _settings = settings;
        _time = time;
        _http = http;
        // Behind a proxy the admin has usually told us the public gateway URL: the files live on
        // the same host, so everyone gets the same links whichever name the sender used.
        _fromGateway = gateway?.PublicUrl is { Length: > 0 } ws && Uri.TryCreate(ws, UriKind.Absolute, out var uri)
            ? $"{(uri.Scheme == "wss" ? "https" : "http")}://{uri.Authority}"
            : null;
    }

    private readonly string? _fromGateway;

    /// <summary>The http(s) base for URLs handed to clients: configured, else the request's own.</summary>
    public string BaseUrl
    {
        get
        {
            if (!string.IsNullOrWhiteSpace(_settings.PublicUrl))
                return _settings.PublicUrl.TrimEnd('/');
            if (_fromGateway is not null)
                return _fromGateway;
            var request = _http.HttpContext?.Request;
            return request is null ? "" : $"{request.Scheme}://{request.Host}{request.PathBase}";
        }
    }

    public string For(Attachment attachment)
    {
        ArgumentNullException.ThrowIfNull(attachment);
        var window = (long)Math.Max(60, _settings.UrlLifetime.TotalSeconds / 2);
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var issued = now - (now % window);
        var expires = issued + (window * 3);
        var path = Path(attachment.ChannelId, attachment.Id, attachment.Filename);
        return $"{BaseUrl}{path}?ex={expires:x}&is={issued:x}&hm={Sign(attachment.ChannelId, attachment.Id, expires, issued)}&";
    }

    public static string Path(long channelId, long attachmentId, string filename) =>
        $"/attachments/{channelId}/{attachmentId}/{Uri.EscapeDataString(filename)}";

    /// <summary>True when the query carries a valid, unexpired signature for this attachment.</summary>
    public bool Verify(long channelId, long attachmentId, string? ex, string? issued, string? hm)
    {
        if (ex is null || issued is null || hm is null
            || !long.TryParse(ex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var expires)
            || !long.TryParse(issued, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var issuedAt))
            return false;
        if (expires < _time.GetUtcNow().ToUnixTimeSeconds())
            return false;
        var expected = Encoding.ASCII.GetBytes(Sign(channelId, attachmentId, expires, issuedAt));
        var given = Encoding.ASCII.GetBytes(hm.ToLowerInvariant());
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    private string Sign(long channelId, long attachmentId, long expires, long issued)
    {
        var message = Encoding.ASCII.GetBytes(FormattableString.Invariant($"{channelId}/{attachmentId}:{expires:x}:{issued:x}"));
        return Convert.ToHexStringLower(HMACSHA256.HashData(_key, message));
    }
}
