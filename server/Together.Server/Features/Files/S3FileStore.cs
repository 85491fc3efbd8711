using System.Net;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Together.Server.Infrastructure;

namespace Together.Server.Features.Files;

/// <summary>The <c>Files:S3</c> configuration section: a bucket on AWS or on any S3-compatible server (MinIO, Garage, R2, Ceph…).</summary>
public sealed class S3Settings
{
    /// <summary>The endpoint, e.g. <c>https://s3.eu-central-1.amazonaws.com</c> or <c>http://minio:9000</c>; unset means AWS for <see cref="Region"/>.</summary>
    public string? ServiceUrl { get; set; }

    public string Region { get; set; } = "us-east-1";

    public string Bucket { get; set; } = "";

    /// <summary>Put before every object name, to share a bucket, e.g. <c>together/</c>.</summary>
    public string Prefix { get; set; } = "";

    /// <summary>With the secret key; when both are unset the AWS default chain is used (environment, instance role).</summary>
    public string? AccessKey { get; set; }

    public string? SecretKey { get; set; }

    /// <summary>
    /// <c>endpoint/bucket/name</c> rather than <c>bucket.endpoint/name</c>. Unset: path style for a
    /// <see cref="ServiceUrl"/> (what MinIO, Garage and Ceph need), virtual-hosted style on AWS.
    /// </summary>
    public bool? ForcePathStyle { get; set; }

    /// <summary>Create the bucket at start when it does not exist.</summary>
    public bool CreateBucket { get; set; } = true;
}

/// <summary>
/// The store in an S3-compatible bucket, for installs whose files outgrow one disk. Uploads
/// still arrive in the local temp folder and go to the bucket once checked; downloads are
/// streamed through the server so access checks and the safety headers stay the same as on
/// disk, and range requests become ranged GETs.
/// </summary>
public sealed partial class S3FileStore : IFileStore, IHealthCheck, IDisposable
{
    private readonly AmazonS3Client _s3;
    private readonly S3Settings _settings;
    private readonly ILogger<S3FileStore> _logger;
    private Task? _bucketReady;

    public S3FileStore(FileSettings settings, ILogger<S3FileStore> logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings.S3;
        _logger = logger;
        if (string.IsNullOrWhiteSpace(_settings.Bucket))
            throw new InvalidOperationException("Files:Store is S3 but Files:S3:Bucket is not set.");
        if (string.IsNullOrEmpty(_settings.AccessKey) != string.IsNullOrEmpty(_settings.SecretKey))
            throw new InvalidOperationException("Files:S3:AccessKey and Files:S3:SecretKey go together: set both or neither.");
        var config = new AmazonS3Config
        {
            ForcePathStyle = _settings.ForcePathStyle ?? !string.IsNullOrWhiteSpace(_settings.ServiceUrl),
            // The SDK's default (a CRC trailer in aws-chunked bodies on every PUT) is not
            // understood by many S3-compatible servers; SigV4 already covers the payload.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (string.IsNullOrWhiteSpace(_settings.ServiceUrl))
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(_settings.Region);
        }
        else
        {
            config.ServiceURL = _settings.ServiceUrl;
            config.AuthenticationRegion = _settings.Region;
        }
        _s3 = string.IsNullOrEmpty(_settings.AccessKey)
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new BasicAWSCredentials(_settings.AccessKey, _settings.SecretKey), config);
    }

    public void Dispose() => _s3.Dispose();

    /// <summary>Readiness: the endpoint answers and the bucket can be listed.</summary>
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await ReadyAsync(cancellationToken);
            await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _settings.Bucket, MaxKeys = 1, Prefix = _settings.Prefix }, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is AmazonServiceException or HttpRequestException or IOException)
        {
            return HealthCheckResult.Unhealthy($"the S3 bucket {_settings.Bucket} cannot be reached", ex);
        }
    }

    public async Task<string> CommitAsync(string tempPath, CancellationToken cancellationToken)
    {
        var key = await UploadTemp.HashAsync(tempPath, cancellationToken);
        // Put even when the content is there already: that refreshes its date, which keeps the
        // janitor's grace period over it until the new reference is saved.
        await CallAsync("store an upload", ct => _s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _settings.Bucket,
            Key = _settings.Prefix + StoreNames.Blob(key),
            FilePath = tempPath,
            ContentType = "application/octet-stream",
            UseChunkEncoding = false, // aws-chunked bodies are another thing not every S3-compatible server reads
        }, ct), cancellationToken);
        File.Delete(tempPath);
        return key;
    }

    public Task<StoredFile?> OpenAsync(string name, CancellationToken cancellationToken) =>
        CallAsync("read a file", async ct =>
        {
            try
            {
                var response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = _settings.Bucket, Key = _settings.Prefix + name }, ct);
                var stream = new S3ObjectStream(_s3, _settings.Bucket, _settings.Prefix + name, response);
                return new StoredFile(stream, stream.Length, response.LastModified ?? DateTime.UtcNow);
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
        }, cancellationToken);

    public Task<DateTimeOffset?> ModifiedAsync(string name, CancellationToken cancellationToken) =>
        CallAsync("look up a file", async ct =>
        {
            try
            {
                var head = await _s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _settings.Bucket, Key = _settings.Prefix + name }, ct);
                return (DateTimeOffset?)(head.LastModified ?? DateTime.UtcNow);
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
        }, cancellationToken);

    public Task WriteAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        CallAsync("write a file", async ct =>
        {
            using var body = new MemoryStream(content.ToArray(), writable: false);
            return await _s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _settings.Bucket,
                Key = _settings.Prefix + name,
                InputStream = body,
                AutoCloseStream = false,
                ContentType = "application/octet-stream",
                UseChunkEncoding = false,
            }, ct);
        }, cancellationToken);

    public Task DeleteAsync(string name, CancellationToken cancellationToken) =>
        CallAsync("delete a file", ct => _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _settings.Bucket, Key = _settings.Prefix + name }, ct), cancellationToken);

    public async IAsyncEnumerable<StoredName> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = _settings.Bucket, Prefix = _settings.Prefix + prefix };
        while (true)
        {
            var page = await CallAsync("list files", ct => _s3.ListObjectsV2Async(request, ct), cancellationToken);
            foreach (var item in page.S3Objects ?? [])
                yield return new StoredName(item.Key[_settings.Prefix.Length..], item.LastModified ?? DateTime.UtcNow);
            if (page.IsTruncated != true || string.IsNullOrEmpty(page.NextContinuationToken))
                yield break;
            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    /// <summary>
    /// A call to the bucket; when the server cannot be reached or refuses, a
    /// <see cref="ServiceBusyException"/> (503 with Retry-After to the client), logged once here.
    /// </summary>
    private async Task<T> CallAsync<T>(string what, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            await ReadyAsync(cancellationToken);
            return await call(cancellationToken);
        }
        catch (Exception ex) when (ex is AmazonServiceException or HttpRequestException or IOException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogUnavailable(ex, what, _settings.Bucket);
            throw new ServiceBusyException("the file store cannot be reached", ex);
        }
    }

    /// <summary>The bucket made sure of once; tried again after a failure (the server may have been down).</summary>
    private Task ReadyAsync(CancellationToken cancellationToken)
    {
        var ready = _bucketReady;
        if (ready is null || ready.IsFaulted || ready.IsCanceled)
            _bucketReady = ready = EnsureBucketAsync();
        return ready.WaitAsync(cancellationToken);
    }

    private async Task EnsureBucketAsync()
    {
        if (!_settings.CreateBucket)
            return;
        try
        {
            await _s3.PutBucketAsync(new PutBucketRequest { BucketName = _settings.Bucket, UseClientRegion = true });
            LogBucketCreated(_settings.Bucket);
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists" || ex.StatusCode == HttpStatusCode.Conflict)
        {
        }
        catch (AmazonS3Exception ex)
        {
            // Keys scoped to one bucket often may not create buckets: go on, and let the first
            // real request say what is wrong.
            LogBucketNotCreated(_settings.Bucket, ex.ErrorCode ?? ex.StatusCode.ToString());
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not {What} in the S3 bucket {Bucket}")]
    private partial void LogUnavailable(Exception ex, string what, string bucket);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not create the S3 bucket {Bucket} ({Error}); assuming it exists")]
    private partial void LogBucketNotCreated(string bucket, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the S3 bucket {Bucket} for files")]
    private partial void LogBucketCreated(string bucket);
}

/// <summary>
/// An object in the bucket as a seekable stream, so ASP.NET's range and conditional handling
/// works as for a file: reading goes on from the open response, a seek elsewhere opens a ranged
/// GET from there.
/// </summary>
internal sealed class S3ObjectStream(IAmazonS3 s3, string bucket, string key, GetObjectResponse first) : Stream
{
    private GetObjectResponse? _response = first;
    private long _responseAt;
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length { get; } = first.ContentLength;

    public override long Position
    {
        get => _position;
        set => _position = value is >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => Length + offset,
    };

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position >= Length || buffer.Length == 0)
            return 0;
        if (_response is null || _responseAt != _position)
        {
            _response?.Dispose();
            _response = null;
            _response = await s3.GetObjectAsync(new GetObjectRequest
            {
                BucketName = bucket,
                Key = key,
                ByteRange = new ByteRange(_position, Length - 1),
            }, cancellationToken);
            _responseAt = _position;
        }
        var read = await _response.ResponseStream.ReadAsync(buffer, cancellationToken);
        _position += read;
        _responseAt += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Skia decodes synchronously, so thumbnails read objects into memory first; request
    // handling is asynchronous throughout.
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("read an S3 object asynchronously");

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _response?.Dispose();
            _response = null;
        }
        base.Dispose(disposing);
    }
}
