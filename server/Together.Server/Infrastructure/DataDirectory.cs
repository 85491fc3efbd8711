namespace Together.Server.Infrastructure;

/// <summary>The folder that holds the SQLite database, the signing key and (later) uploaded files.</summary>
public sealed class DataDirectory
{
    public DataDirectory(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }
}
