using System.Buffers.Binary;

namespace SupHost.Protocol.Tests;

/// <summary>What a reader accepts of a GIP: the checks the client library and the daemon's own clock make before reading a page.</summary>
public class GipLayoutTests
{
    [Fact]
    public void A_page_of_an_unknown_version_is_refused()
    {
        // The session-4 layout (1.0: one 64-byte entry at offset 64, no CPU table) must not be read as 2.0.
        string? old = GipLayout.Refusal(Page(version: 0x00010000));
        Assert.Equal("GIP layout version 1.0 is not one this reader knows (it reads 2.x): the daemon and this library are of different releases", old);

        // A later major too.
        Assert.Contains("version 3.0 is not one this reader knows", GipLayout.Refusal(Page(version: 0x00030000)), StringComparison.Ordinal);

        // Not a GIP at all.
        Assert.Equal("not a GIP: magic 0x00000000, expected 0x50494753", GipLayout.Refusal(Page(magic: 0)));

        // A header alone, or a page too small for the CPU entries its header counts.
        Assert.Equal("a GIP of 16 bytes is smaller than its 64-byte header", GipLayout.Refusal(new byte[16]));
        Assert.Equal(
            $"a GIP of 4096 bytes cannot hold its table and 32 CPU entries ({GipLayout.EntriesOffset + (32 * GipLayout.CpuEntrySize)} bytes)",
            GipLayout.Refusal(Page(cpus: 32)));
        Assert.NotNull(GipLayout.Refusal(Page(cpus: 0)));
    }

    [Fact]
    public void A_page_of_this_major_version_is_read_whatever_its_minor()
    {
        Assert.Null(GipLayout.Refusal(Page(version: 0x00020000)));
        Assert.Null(GipLayout.Refusal(Page(version: 0x00020007)));
        Assert.Null(GipLayout.Refusal(Page(cpus: 15)));
    }

    [Fact]
    public void The_layout_keeps_a_reads_fields_in_one_cache_line()
    {
        // The fields a read loads are the first 64 bytes of a 64-byte-aligned entry; statistics after.
        Assert.Equal(0, GipLayout.EntriesOffset % 64);
        Assert.Equal(0, GipLayout.CpuEntrySize % 64);
        int[] hot = [GipLayout.CpuTransactionOffset, GipLayout.CpuNanoTsOffset, GipLayout.CpuTscOffset, GipLayout.CpuNsPerTickOffset, GipLayout.CpuSlewTicksOffset, GipLayout.CpuNominalNsPerTickOffset, GipLayout.CpuMaxDeltaTscOffset];
        Assert.All(hot, offset => Assert.InRange(offset, 0, 56));
        Assert.Equal(4096, GipLayout.SizeFor(15));
        Assert.Equal(8192, GipLayout.SizeFor(16));
    }

    private static byte[] Page(uint magic = GipLayout.Magic, uint version = GipLayout.Version, ushort cpus = 2)
    {
        byte[] page = new byte[4096];
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(GipLayout.MagicOffset), magic);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(GipLayout.VersionOffset), version);
        BinaryPrimitives.WriteUInt16LittleEndian(page.AsSpan(GipLayout.CpuCountOffset), cpus);
        return page;
    }
}
