namespace SupHost.Driver.Internal;

/// <summary>
/// A peer's groups: its gid from SO_PEERCRED first, then the supplementary groups from the
/// "Groups:" line of <c>/proc/PID/status</c> (proc(5)), read once when it connects.
/// </summary>
internal static class PeerGroups
{
    public static IReadOnlyList<uint> Read(int pid, uint gid)
    {
        var groups = new List<uint> { gid };
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (!line.StartsWith("Groups:", StringComparison.Ordinal))
                {
                    continue;
                }

                foreach (string part in line["Groups:".Length..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
                {
                    if (uint.TryParse(part, out uint g) && !groups.Contains(g))
                    {
                        groups.Add(g);
                    }
                }

                break;
            }
        }
        catch (IOException)
        {
            // The peer is already gone: its own gid is all we know, and its session ends at once.
        }
        catch (UnauthorizedAccessException)
        {
            // hidepid: without access, only the gid counts.
        }

        return groups;
    }
}
