using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Together.TestSupport;

/// <summary>Ports on 127.0.0.1 for the services tests start (redis-server, s3rver, servers).</summary>
public static class LocalPorts
{
    /// <summary>A port nothing listens on right now (the OS picks it).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until something accepts connections on the port; false on timeout or when <paramref name="process"/> exits first.</summary>
    public static bool WaitForListener(int port, TimeSpan timeout, Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }
        return false;
    }
}
