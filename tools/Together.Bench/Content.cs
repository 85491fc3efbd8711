using System.Text;

namespace Together.Bench;

/// <summary>
/// Chat-like message text: 3–25 words from a small everyday vocabulary, plus marker words at known
/// frequencies so the history scenario's searches have a predictable number of hits.
/// </summary>
internal static class Content
{
    private static readonly string[] Words =
    [
        "the", "a", "to", "and", "is", "it", "you", "that", "in", "of", "for", "on", "this", "i", "we", "so", "just", "with", "but", "be",
        "have", "are", "not", "was", "what", "do", "can", "if", "lol", "yeah", "no", "ok", "ty", "gg", "anyone", "know", "how", "get",
        "game", "server", "play", "tonight", "later", "today", "tomorrow", "time", "good", "bad", "nice", "new", "patch", "update", "build",
        "map", "team", "match", "win", "lost", "again", "think", "need", "want", "help", "please", "thanks", "sorry", "maybe", "really",
        "voice", "channel", "music", "stream", "link", "video", "picture", "meme", "food", "pizza", "coffee", "sleep", "work", "school",
        "weekend", "friday", "monday", "everyone", "someone", "here", "there", "now", "soon", "when", "where", "why", "who", "which",
        "ready", "wait", "brb", "afk", "back", "online", "join", "invite", "role", "admin", "mod", "bot", "code", "bug", "fix", "test",
        "release", "version", "download", "install", "error", "crash", "lag", "ping", "fps", "settings", "mic", "headset", "keyboard",
        "mouse", "screen", "phone", "laptop", "rank", "level", "quest", "boss", "loot", "item", "skill", "guild", "party", "queue",
    ];

    /// <summary>Marker words and how often a message carries each (the history scenario searches for them).</summary>
    public static readonly (string Word, double Share)[] Markers =
    [
        ("raid", 0.05),        // ~50,000 of a million messages
        ("pineapple", 0.005),  // ~5,000
        ("zeppelin", 0.0002),  // ~200
    ];

    /// <summary>Searched for but never written.</summary>
    public const string Absent = "xylophonist";

    public static string Chat(int k) => Sentence(new Random(k), k);

    public static string Sentence(Random random, int k)
    {
        var builder = new StringBuilder(160);
        var words = random.Next(3, 26);
        for (var i = 0; i < words; i++)
        {
            if (i > 0)
                builder.Append(' ');
            builder.Append(Words[random.Next(Words.Length)]);
        }
        foreach (var (word, share) in Markers)
            if (random.NextDouble() < share)
            {
                if (random.Next(2) == 0)
                    builder.Insert(0, word + " ");
                else
                    builder.Append(' ').Append(word);
            }
        if (k % 7 == 0)
            builder.Append('!');
        return builder.ToString();
    }
}
