namespace Rpo.Diffusion.Imaging;

/// <summary>
/// A JPEG decoder that reproduces libjpeg-turbo's default output (what Pillow returns) bit for bit: Huffman
/// baseline, extended and progressive 8-bit JPEGs, the ISLOW integer IDCT (jidctint.c), "fancy" triangular chroma
/// upsampling (jdsample.c) and the fixed-point YCbCr -> RGB tables of jdcolor.c. Generic decoders (stb_image,
/// Skia) round differently in these three places and land 1-3 levels off.
/// </summary>
public static class JpegDecoder
{
    const int ConstBits = 13, Pass1Bits = 2;
    const int Fix0298631336 = 2446, Fix0390180644 = 3196, Fix0541196100 = 4433, Fix0765366865 = 6270,
        Fix0899976223 = 7373, Fix1175875602 = 9633, Fix1501321110 = 12299, Fix1847759065 = 15137,
        Fix1961570560 = 16069, Fix2053119869 = 16819, Fix2562915447 = 20995, Fix3072711026 = 25172;

    static readonly int[] ZigZag =
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
        28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
        54, 47, 55, 62, 63,
        // libjpeg pads the table so that a corrupt k > 63 lands harmlessly on the last coefficient
        63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
    ];

    /// <summary>IDCT output clamp (jdmaster.c prepare_range_limit_table, indexed with RANGE_MASK like jidctint.c).</summary>
    static readonly byte[] IdctRangeLimit = BuildIdctRangeLimit();

    static byte[] BuildIdctRangeLimit()
    {
        var t = new byte[1024];
        for (int v = 0; v < 1024; v++)
            t[v] = v < 128 ? (byte)(v + 128) : v < 512 ? (byte)255 : v < 896 ? (byte)0 : (byte)(v - 896);
        return t;
    }

    // jdcolor.c build_ycc_rgb_table: SCALEBITS 16, FIX(x) = (long)(x * 65536 + 0.5).
    static readonly int[] CrR = new int[256], CbB = new int[256];
    static readonly long[] CrG = new long[256], CbG = new long[256];

    static JpegDecoder()
    {
        const int scaleBits = 16;
        const long oneHalf = 1L << (scaleBits - 1);
        static long Fix(double x) => (long)(x * (1L << scaleBits) + 0.5);
        for (int i = 0, x = -128; i <= 255; i++, x++)
        {
            CrR[i] = (int)((Fix(1.40200) * x + oneHalf) >> scaleBits);
            CbB[i] = (int)((Fix(1.77200) * x + oneHalf) >> scaleBits);
            CrG[i] = -Fix(0.71414) * x;
            CbG[i] = -Fix(0.34414) * x + oneHalf;
        }
    }

    public static bool IsJpeg(ReadOnlySpan<byte> data) => data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;

    /// <summary>Decodes to RGB (grayscale expanded to R = G = B). Also returns the raw EXIF (APP1) payload, if any.</summary>
    public static RgbImage Decode(byte[] data, out byte[]? exif)
    {
        var state = new Decoder(data);
        state.Run();
        exif = state.Exif;
        return state.ToRgb();
    }

    sealed class Component
    {
        public int Id, H, V, QuantTable;
        public int DcTable, AcTable;
        public int BlocksPerLine, BlocksPerColumn;   // padded to whole MCUs
        public short[] Coefficients = [];            // natural order, 64 per block
        public int DcPred;
        public int EobRun;
    }

    sealed class Huffman
    {
        // Canonical code tables: for each length, max code and value offset (as in the JPEG spec, F.2.2.3).
        public readonly int[] MaxCode = new int[18];
        public readonly int[] ValOffset = new int[17];
        public readonly byte[] Values;

        public Huffman(byte[] counts, byte[] values)
        {
            Values = values;
            int code = 0, k = 0;
            for (int len = 1; len <= 16; len++)
            {
                ValOffset[len] = k - code;
                code += counts[len - 1];
                k += counts[len - 1];
                if (counts[len - 1] > 0 && code - 1 >= 1 << len) throw new ImageDecodeException("JPEG: bad Huffman table.");
                MaxCode[len] = counts[len - 1] > 0 ? code - 1 : -1;
                code <<= 1;
            }
            MaxCode[17] = int.MaxValue;
        }
    }

    sealed class Decoder(byte[] data)
    {
        readonly byte[] data = data;
        int pos;
        readonly ushort[][] quant = new ushort[4][];
        readonly Huffman?[] dcTables = new Huffman?[4], acTables = new Huffman?[4];
        Component[] components = [];
        int width, height, hMax, vMax, mcusX, mcusY, restartInterval;
        bool progressive, frameSeen, adobe, jfif;
        int adobeTransform = -1;
        public byte[]? Exif;

        // bit reader
        int bitBuffer, bitCount;
        bool hitMarker;

        byte ReadByte()
        {
            if (pos >= data.Length) throw Truncated();
            return data[pos++];
        }

        int ReadU16()
        {
            int hi = ReadByte();
            return (hi << 8) | ReadByte();
        }

        static ImageDecodeException Truncated() => new("JPEG: the file is truncated (data ends before the image is complete).");

        public void Run()
        {
            if (ReadByte() != 0xFF || ReadByte() != 0xD8) throw new ImageDecodeException("JPEG: no SOI marker.");
            bool sawScan = false;
            while (true)
            {
                int marker = NextMarker();
                switch (marker)
                {
                    case 0xD9: // EOI
                        if (!sawScan) throw new ImageDecodeException("JPEG: no image data before the end marker.");
                        return;
                    case 0xC0: case 0xC1: case 0xC2:
                        ReadFrame(marker == 0xC2);
                        break;
                    case 0xC3: case 0xC5: case 0xC6: case 0xC7: case 0xC9: case 0xCA: case 0xCB: case 0xCD: case 0xCE: case 0xCF:
                        throw new ImageDecodeException($"JPEG: unsupported coding process (SOF{marker - 0xC0}: lossless, hierarchical or arithmetic).");
                    case 0xC4: ReadHuffmanTables(); break;
                    case 0xDB: ReadQuantTables(); break;
                    case 0xDD:
                        ReadU16();
                        restartInterval = ReadU16();
                        break;
                    case 0xDA:
                        if (!frameSeen) throw new ImageDecodeException("JPEG: scan before frame header.");
                        ReadScan();
                        sawScan = true;
                        if (!progressive)
                        {
                            // Baseline with all components in one or more scans: stop at EOI, but an image whose
                            // trailing EOI is missing is still complete once every scan was read; libjpeg warns only.
                            if (AllBaselineScansDone()) return;
                        }
                        break;
                    case 0xE0: ReadApp0(); break;
                    case 0xE1: ReadApp1(); break;
                    case 0xEE: ReadApp14(); break;
                    case 0xDC: // DNL: height defined after the first scan; libjpeg-turbo does not support it either
                        throw new ImageDecodeException("JPEG: DNL marker (height defined by the scan) is not supported.");
                    default:
                        if (marker is >= 0xD0 and <= 0xD7) break;   // stray restart marker
                        if (marker == 0x01) break;
                        SkipSegment();
                        break;
                }
            }
        }

        int baselineScansLeft;

        bool AllBaselineScansDone() => baselineScansLeft <= 0;

        int NextMarker()
        {
            // libjpeg skips garbage before a marker (with a warning); so do we.
            int b = ReadByte();
            while (true)
            {
                while (b != 0xFF) b = ReadByte();
                do b = ReadByte(); while (b == 0xFF);
                if (b != 0) return b;
            }
        }

        void SkipSegment()
        {
            int len = ReadU16();
            if (len < 2) throw new ImageDecodeException("JPEG: bad segment length.");
            if (pos + len - 2 > data.Length) throw Truncated();
            pos += len - 2;
        }

        byte[] ReadSegment()
        {
            int len = ReadU16();
            if (len < 2) throw new ImageDecodeException("JPEG: bad segment length.");
            if (pos + len - 2 > data.Length) throw Truncated();
            var seg = data.AsSpan(pos, len - 2).ToArray();
            pos += len - 2;
            return seg;
        }

        void ReadApp0()
        {
            var seg = ReadSegment();
            if (seg.Length >= 5 && seg[0] == 'J' && seg[1] == 'F' && seg[2] == 'I' && seg[3] == 'F' && seg[4] == 0) jfif = true;
        }

        void ReadApp1()
        {
            var seg = ReadSegment();
            if (Exif == null && seg.Length >= 6 && seg[0] == 'E' && seg[1] == 'x' && seg[2] == 'i' && seg[3] == 'f' && seg[4] == 0 && seg[5] == 0)
                Exif = seg[6..];
        }

        void ReadApp14()
        {
            var seg = ReadSegment();
            if (seg.Length >= 12 && seg[0] == 'A' && seg[1] == 'd' && seg[2] == 'o' && seg[3] == 'b' && seg[4] == 'e')
            {
                adobe = true;
                adobeTransform = seg[11];
            }
        }

        void ReadQuantTables()
        {
            var seg = ReadSegment();
            int i = 0;
            while (i < seg.Length)
            {
                int pq = seg[i] >> 4, tq = seg[i] & 15;
                i++;
                if (tq > 3) throw new ImageDecodeException("JPEG: bad quantization table id.");
                var table = new ushort[64];
                for (int k = 0; k < 64; k++)
                {
                    if (i + (pq == 0 ? 0 : 1) >= seg.Length) throw new ImageDecodeException("JPEG: short quantization table.");
                    table[ZigZag[k]] = pq == 0 ? seg[i++] : (ushort)((seg[i++] << 8) | seg[i++]);
                }
                quant[tq] = table;
            }
        }

        void ReadHuffmanTables()
        {
            var seg = ReadSegment();
            int i = 0;
            while (i < seg.Length)
            {
                int tc = seg[i] >> 4, th = seg[i] & 15;
                i++;
                if (th > 3 || tc > 1) throw new ImageDecodeException("JPEG: bad Huffman table id.");
                if (i + 16 > seg.Length) throw new ImageDecodeException("JPEG: short Huffman table.");
                var counts = seg.AsSpan(i, 16).ToArray();
                i += 16;
                int total = 0;
                foreach (var c in counts) total += c;
                if (total > 256 || i + total > seg.Length) throw new ImageDecodeException("JPEG: bad Huffman table.");
                var values = seg.AsSpan(i, total).ToArray();
                i += total;
                (tc == 0 ? dcTables : acTables)[th] = new Huffman(counts, values);
            }
        }

        void ReadFrame(bool isProgressive)
        {
            if (frameSeen) throw new ImageDecodeException("JPEG: more than one frame.");
            var seg = ReadSegment();
            if (seg.Length < 6) throw new ImageDecodeException("JPEG: short frame header.");
            if (seg[0] != 8) throw new ImageDecodeException($"JPEG: {seg[0]}-bit samples are not supported (8-bit only).");
            height = (seg[1] << 8) | seg[2];
            width = (seg[3] << 8) | seg[4];
            int n = seg[5];
            if (width == 0 || height == 0) throw new ImageDecodeException("JPEG: zero image size.");
            ImageFile.CheckSize(width, height, "JPEG");
            if (n != 1 && n != 3) throw new ImageDecodeException($"JPEG: {n} colour components are not supported (grayscale or YCbCr/RGB only).");
            if (seg.Length < 6 + 3 * n) throw new ImageDecodeException("JPEG: short frame header.");
            components = new Component[n];
            for (int c = 0; c < n; c++)
            {
                var comp = new Component { Id = seg[6 + 3 * c], H = seg[7 + 3 * c] >> 4, V = seg[7 + 3 * c] & 15, QuantTable = seg[8 + 3 * c] };
                if (comp.H is < 1 or > 4 || comp.V is < 1 or > 4 || comp.QuantTable > 3)
                    throw new ImageDecodeException("JPEG: bad sampling factors.");
                components[c] = comp;
            }
            progressive = isProgressive;
            hMax = components.Max(c => c.H);
            vMax = components.Max(c => c.V);
            mcusX = (width + 8 * hMax - 1) / (8 * hMax);
            mcusY = (height + 8 * vMax - 1) / (8 * vMax);
            foreach (var c in components)
            {
                c.BlocksPerLine = mcusX * c.H;
                c.BlocksPerColumn = mcusY * c.V;
                c.Coefficients = new short[checked(c.BlocksPerLine * c.BlocksPerColumn * 64)];
            }
            frameSeen = true;
            baselineScansLeft = n;
        }

        // ---------------------------------------------------------------- scans

        void ReadScan()
        {
            var seg = ReadSegment();
            int n = seg[0];
            if (n < 1 || n > 4 || seg.Length < 1 + 2 * n + 3) throw new ImageDecodeException("JPEG: bad scan header.");
            var scan = new Component[n];
            for (int i = 0; i < n; i++)
            {
                int id = seg[1 + 2 * i];
                var comp = components.FirstOrDefault(c => c.Id == id) ?? throw new ImageDecodeException("JPEG: scan names an unknown component.");
                comp.DcTable = seg[2 + 2 * i] >> 4;
                comp.AcTable = seg[2 + 2 * i] & 15;
                scan[i] = comp;
            }
            int ss = seg[1 + 2 * n], se = seg[2 + 2 * n], ah = seg[3 + 2 * n] >> 4, al = seg[3 + 2 * n] & 15;
            if (!progressive) { ss = 0; se = 63; ah = 0; al = 0; baselineScansLeft -= n; }
            else if (ss > se || se > 63 || (ss == 0 && se != 0) || (ss > 0 && n != 1))
                throw new ImageDecodeException("JPEG: bad progressive scan parameters.");

            foreach (var c in scan)
            {
                c.DcPred = 0;
                c.EobRun = 0;
                bool needDc = !progressive || ss == 0, needAc = !progressive || se > 0;
                if (needDc && (!progressive || ah == 0) && dcTables[c.DcTable] == null) throw new ImageDecodeException("JPEG: missing DC Huffman table.");
                if (needAc && acTables[c.AcTable] == null && (!progressive || ss > 0)) throw new ImageDecodeException("JPEG: missing AC Huffman table.");
                if (quant[c.QuantTable] == null) throw new ImageDecodeException("JPEG: missing quantization table.");
            }
            bitBuffer = 0; bitCount = 0; hitMarker = false;

            int mcuCount;
            int cols, rows;
            if (n == 1)
            {
                // Non-interleaved: one block per MCU over the component's own (unpadded) block grid.
                var c = scan[0];
                cols = (int)Math.Ceiling(Math.Ceiling(width * (double)c.H / hMax) / 8);
                rows = (int)Math.Ceiling(Math.Ceiling(height * (double)c.V / vMax) / 8);
                mcuCount = cols * rows;
            }
            else
            {
                cols = mcusX; rows = mcusY;
                mcuCount = mcusX * mcusY;
            }

            int restartsToGo = restartInterval;
            for (int mcu = 0; mcu < mcuCount; mcu++)
            {
                if (restartInterval > 0)
                {
                    if (restartsToGo == 0)
                    {
                        ProcessRestart();
                        foreach (var c in scan) { c.DcPred = 0; c.EobRun = 0; }
                        restartsToGo = restartInterval;
                    }
                    restartsToGo--;
                }
                if (n == 1)
                {
                    int br = mcu / cols, bc = mcu % cols;
                    DecodeBlock(scan[0], br, bc, ss, se, ah, al);
                }
                else
                {
                    int mr = mcu / cols, mc = mcu % cols;
                    foreach (var c in scan)
                        for (int v = 0; v < c.V; v++)
                            for (int h = 0; h < c.H; h++)
                                DecodeBlock(c, mr * c.V + v, mc * c.H + h, ss, se, ah, al);
                }
            }
            // Leave the reader at the next marker.
            bitBuffer = 0; bitCount = 0;
        }

        void ProcessRestart()
        {
            bitBuffer = 0; bitCount = 0; hitMarker = false;
            // Find the RSTn marker (libjpeg resyncs; a well-formed file has it right here).
            while (pos + 1 < data.Length && !(data[pos] == 0xFF && data[pos + 1] is >= 0xD0 and <= 0xD7)) pos++;
            if (pos + 1 >= data.Length) throw Truncated();
            pos += 2;
        }

        int ReadBit()
        {
            if (bitCount == 0) Fill();
            bitCount--;
            return (bitBuffer >> bitCount) & 1;
        }

        void Fill()
        {
            // One byte at a time; after a marker libjpeg feeds zeros (and warns of corrupt data).
            int b;
            if (hitMarker) b = 0;
            else
            {
                if (pos >= data.Length) throw Truncated();
                b = data[pos];
                if (b == 0xFF)
                {
                    if (pos + 1 >= data.Length) throw Truncated();
                    int next = data[pos + 1];
                    if (next == 0) pos += 2;
                    else { hitMarker = true; b = 0; }
                }
                else pos++;
            }
            bitBuffer = ((bitBuffer << 8) | b) & 0xFFFF;
            bitCount += 8;
        }

        int ReceiveBits(int n)
        {
            int v = 0;
            for (int i = 0; i < n; i++) v = (v << 1) | ReadBit();
            return v;
        }

        static int Extend(int v, int n) => v < 1 << (n - 1) ? v - (1 << n) + 1 : v;

        int DecodeHuffman(Huffman table)
        {
            int code = ReadBit();
            int len = 1;
            while (code > table.MaxCode[len])
            {
                code = (code << 1) | ReadBit();
                len++;
                if (len > 16) throw new ImageDecodeException("JPEG: corrupt data (bad Huffman code).");
            }
            return table.Values[(code + table.ValOffset[len]) & 0xFF];
        }

        void DecodeBlock(Component c, int blockRow, int blockCol, int ss, int se, int ah, int al)
        {
            if (blockRow >= c.BlocksPerColumn || blockCol >= c.BlocksPerLine) throw new ImageDecodeException("JPEG: block outside the frame.");
            var coef = c.Coefficients.AsSpan((blockRow * c.BlocksPerLine + blockCol) * 64, 64);
            if (!progressive)
            {
                int t = DecodeHuffman(dcTables[c.DcTable]!);
                int diff = t == 0 ? 0 : Extend(ReceiveBits(t), t);
                c.DcPred += diff;
                coef[0] = (short)c.DcPred;
                var ac = acTables[c.AcTable]!;
                for (int k = 1; k < 64;)
                {
                    int rs = DecodeHuffman(ac);
                    int r = rs >> 4, s = rs & 15;
                    if (s == 0)
                    {
                        if (r != 15) break;
                        k += 16;
                        continue;
                    }
                    k += r;
                    coef[ZigZag[k]] = (short)Extend(ReceiveBits(s), s);
                    k++;
                }
                return;
            }

            if (ss == 0)
            {
                if (ah == 0)
                {
                    int t = DecodeHuffman(dcTables[c.DcTable]!);
                    int diff = t == 0 ? 0 : Extend(ReceiveBits(t), t);
                    c.DcPred += diff;
                    coef[0] = (short)(c.DcPred << al);
                }
                else if (ReadBit() != 0)
                    coef[0] |= (short)(1 << al);
                return;
            }

            if (ah == 0)
            {
                if (c.EobRun > 0) { c.EobRun--; return; }
                var ac = acTables[c.AcTable]!;
                for (int k = ss; k <= se;)
                {
                    int rs = DecodeHuffman(ac);
                    int r = rs >> 4, s = rs & 15;
                    if (s == 0)
                    {
                        if (r < 15)
                        {
                            c.EobRun = (1 << r) - 1;
                            if (r > 0) c.EobRun += ReceiveBits(r);
                            break;
                        }
                        k += 16;
                        continue;
                    }
                    k += r;
                    coef[ZigZag[k]] = (short)(Extend(ReceiveBits(s), s) * (1 << al));
                    k++;
                }
                return;
            }

            // AC refinement (G.1.2.3), following libjpeg's decode_mcu_AC_refine.
            {
                int p1 = 1 << al, m1 = -1 << al;
                int k = ss;
                if (c.EobRun == 0)
                {
                    var ac = acTables[c.AcTable]!;
                    for (; k <= se;)
                    {
                        int rs = DecodeHuffman(ac);
                        int r = rs >> 4, s = rs & 15;
                        int value = 0;
                        if (s != 0)
                        {
                            if (s != 1) throw new ImageDecodeException("JPEG: corrupt progressive refinement data.");
                            value = ReadBit() != 0 ? p1 : m1;
                        }
                        else if (r != 15)
                        {
                            c.EobRun = 1 << r;
                            if (r > 0) c.EobRun += ReceiveBits(r);
                            break;
                        }
                        do
                        {
                            int z = ZigZag[k];
                            if (coef[z] != 0)
                            {
                                if (ReadBit() != 0 && (coef[z] & p1) == 0)
                                    coef[z] = (short)(coef[z] >= 0 ? coef[z] + p1 : coef[z] + m1);
                            }
                            else
                            {
                                if (--r < 0) break;
                            }
                            k++;
                        } while (k <= se);
                        if (value != 0 && k <= se) coef[ZigZag[k]] = (short)value;
                        k++;
                    }
                }
                if (c.EobRun > 0)
                {
                    for (; k <= se; k++)
                    {
                        int z = ZigZag[k];
                        if (coef[z] != 0 && ReadBit() != 0 && (coef[z] & p1) == 0)
                            coef[z] = (short)(coef[z] >= 0 ? coef[z] + p1 : coef[z] + m1);
                    }
                    c.EobRun--;
                }
            }
        }

        // ---------------------------------------------------------------- reconstruction

        /// <summary>jidctint.c jpeg_idct_islow for one block, into an 8x8 window of a sample plane.</summary>
        static void IdctIslow(ReadOnlySpan<short> coef, ushort[] q, byte[] plane, int planeStride, int offset)
        {
            Span<int> ws = stackalloc int[64];
            for (int col = 0; col < 8; col++)
            {
                if (coef[8 + col] == 0 && coef[16 + col] == 0 && coef[24 + col] == 0 && coef[32 + col] == 0 &&
                    coef[40 + col] == 0 && coef[48 + col] == 0 && coef[56 + col] == 0)
                {
                    int dc = coef[col] * q[col] << Pass1Bits;
                    for (int r = 0; r < 8; r++) ws[r * 8 + col] = dc;
                    continue;
                }
                long z2 = coef[16 + col] * q[16 + col], z3 = coef[48 + col] * q[48 + col];
                long z1 = (z2 + z3) * Fix0541196100;
                long tmp2 = z1 + z3 * -Fix1847759065;
                long tmp3 = z1 + z2 * Fix0765366865;
                z2 = coef[col] * q[col];
                z3 = coef[32 + col] * q[32 + col];
                long tmp0 = (z2 + z3) << ConstBits;
                long tmp1 = (z2 - z3) << ConstBits;
                long tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;

                tmp0 = coef[56 + col] * q[56 + col];
                tmp1 = coef[40 + col] * q[40 + col];
                tmp2 = coef[24 + col] * q[24 + col];
                tmp3 = coef[8 + col] * q[8 + col];
                Odd(ref tmp0, ref tmp1, ref tmp2, ref tmp3);

                const int shift = ConstBits - Pass1Bits;
                ws[0 * 8 + col] = (int)Descale(tmp10 + tmp3, shift);
                ws[7 * 8 + col] = (int)Descale(tmp10 - tmp3, shift);
                ws[1 * 8 + col] = (int)Descale(tmp11 + tmp2, shift);
                ws[6 * 8 + col] = (int)Descale(tmp11 - tmp2, shift);
                ws[2 * 8 + col] = (int)Descale(tmp12 + tmp1, shift);
                ws[5 * 8 + col] = (int)Descale(tmp12 - tmp1, shift);
                ws[3 * 8 + col] = (int)Descale(tmp13 + tmp0, shift);
                ws[4 * 8 + col] = (int)Descale(tmp13 - tmp0, shift);
            }

            for (int row = 0; row < 8; row++)
            {
                var w = ws.Slice(row * 8, 8);
                int o = offset + row * planeStride;
                if (w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0)
                {
                    byte v = IdctRangeLimit[(int)Descale(w[0], Pass1Bits + 3) & 1023];
                    for (int i = 0; i < 8; i++) plane[o + i] = v;
                    continue;
                }
                long z2 = w[2], z3 = w[6];
                long z1 = (z2 + z3) * Fix0541196100;
                long tmp2 = z1 + z3 * -Fix1847759065;
                long tmp3 = z1 + z2 * Fix0765366865;
                long tmp0 = ((long)w[0] + w[4]) << ConstBits;
                long tmp1 = ((long)w[0] - w[4]) << ConstBits;
                long tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;
                tmp0 = w[7]; tmp1 = w[5]; tmp2 = w[3]; tmp3 = w[1];
                Odd(ref tmp0, ref tmp1, ref tmp2, ref tmp3);

                const int shift = ConstBits + Pass1Bits + 3;
                plane[o + 0] = IdctRangeLimit[(int)Descale(tmp10 + tmp3, shift) & 1023];
                plane[o + 7] = IdctRangeLimit[(int)Descale(tmp10 - tmp3, shift) & 1023];
                plane[o + 1] = IdctRangeLimit[(int)Descale(tmp11 + tmp2, shift) & 1023];
                plane[o + 6] = IdctRangeLimit[(int)Descale(tmp11 - tmp2, shift) & 1023];
                plane[o + 2] = IdctRangeLimit[(int)Descale(tmp12 + tmp1, shift) & 1023];
                plane[o + 5] = IdctRangeLimit[(int)Descale(tmp12 - tmp1, shift) & 1023];
                plane[o + 3] = IdctRangeLimit[(int)Descale(tmp13 + tmp0, shift) & 1023];
                plane[o + 4] = IdctRangeLimit[(int)Descale(tmp13 - tmp0, shift) & 1023];
            }
        }

        /// <summary>The odd part of jidctint.c, shared by both passes; in: tmp0..3 = inputs 7, 5, 3, 1.</summary>
        static void Odd(ref long tmp0, ref long tmp1, ref long tmp2, ref long tmp3)
        {
            long z1 = tmp0 + tmp3, z2 = tmp1 + tmp2, z3 = tmp0 + tmp2, z4 = tmp1 + tmp3;
            long z5 = (z3 + z4) * Fix1175875602;
            tmp0 *= Fix0298631336;
            tmp1 *= Fix2053119869;
            tmp2 *= Fix3072711026;
            tmp3 *= Fix1501321110;
            z1 *= -Fix0899976223;
            z2 *= -Fix2562915447;
            z3 *= -Fix1961570560;
            z4 *= -Fix0390180644;
            z3 += z5;
            z4 += z5;
            tmp0 += z1 + z3;
            tmp1 += z2 + z4;
            tmp2 += z2 + z3;
            tmp3 += z1 + z4;
        }

        static long Descale(long x, int n) => (x + (1L << (n - 1))) >> n;

        /// <summary>The component at its own (downsampled) resolution, cropped to libjpeg's downsampled size.</summary>
        (byte[] Plane, int Width, int Height) ComponentPlane(Component c)
        {
            int pw = c.BlocksPerLine * 8, ph = c.BlocksPerColumn * 8;
            var full = new byte[pw * ph];
            var q = quant[c.QuantTable];
            for (int br = 0; br < c.BlocksPerColumn; br++)
                for (int bc = 0; bc < c.BlocksPerLine; bc++)
                    IdctIslow(c.Coefficients.AsSpan((br * c.BlocksPerLine + bc) * 64, 64), q, full, pw, br * 8 * pw + bc * 8);
            // jdinput.c: downsampled_width = ceil(image_width * h / max_h)
            int dw = (int)((width * (long)c.H + hMax - 1) / hMax);
            int dh = (int)((height * (long)c.V + vMax - 1) / vMax);
            var plane = new byte[dw * dh];
            for (int y = 0; y < dh; y++) Buffer.BlockCopy(full, y * pw, plane, y * dw, dw);
            return (plane, dw, dh);
        }

        /// <summary>
        /// jdsample.c: the component brought to full resolution (at least width x height; the caller crops).
        /// Rows above the first and below the last real row repeat the edge row, as jdmainct.c's context pointers do.
        /// </summary>
        byte[] Upsample(Component c, out int stride)
        {
            var (p, dw, dh) = ComponentPlane(c);
            int hf = hMax / c.H, vf = vMax / c.V;
            if (hMax % c.H != 0 || vMax % c.V != 0)
                throw new ImageDecodeException("JPEG: fractional sampling ratios are not supported.");
            if (hf == 1 && vf == 1) { stride = dw; return p; }

            int ow = dw * hf, oh = dh * vf;
            var o = new byte[ow * oh];
            stride = ow;
            if (hf == 2 && vf == 1 && dw > 2)
            {
                for (int y = 0; y < dh; y++) H2V1Fancy(p.AsSpan(y * dw, dw), o.AsSpan(y * ow, ow));
            }
            else if (hf == 1 && vf == 2)
            {
                for (int y = 0; y < dh; y++)
                {
                    var cur = p.AsSpan(y * dw, dw);
                    var above = p.AsSpan(Math.Max(y - 1, 0) * dw, dw);
                    var below = p.AsSpan(Math.Min(y + 1, dh - 1) * dw, dw);
                    var out0 = o.AsSpan(2 * y * ow, ow);
                    var out1 = o.AsSpan((2 * y + 1) * ow, ow);
                    for (int x = 0; x < dw; x++)
                    {
                        out0[x] = (byte)((cur[x] * 3 + above[x] + 1) >> 2);
                        out1[x] = (byte)((cur[x] * 3 + below[x] + 2) >> 2);
                    }
                }
            }
            else if (hf == 2 && vf == 2 && dw > 2)
            {
                for (int y = 0; y < dh; y++)
                {
                    var cur = p.AsSpan(y * dw, dw);
                    H2V2Fancy(cur, p.AsSpan(Math.Max(y - 1, 0) * dw, dw), o.AsSpan(2 * y * ow, ow));
                    H2V2Fancy(cur, p.AsSpan(Math.Min(y + 1, dh - 1) * dw, dw), o.AsSpan((2 * y + 1) * ow, ow));
                }
            }
            else
            {
                // int_upsample / h2v1_upsample / h2v2_upsample: plain replication.
                for (int y = 0; y < oh; y++)
                    for (int x = 0; x < ow; x++)
                        o[y * ow + x] = p[(y / vf) * dw + x / hf];
            }
            return o;
        }

        static void H2V1Fancy(ReadOnlySpan<byte> input, Span<byte> output)
        {
            int n = input.Length, o = 0;
            int v = input[0];
            output[o++] = (byte)v;
            output[o++] = (byte)((v * 3 + input[1] + 2) >> 2);
            for (int i = 1; i < n - 1; i++)
            {
                v = input[i] * 3;
                output[o++] = (byte)((v + input[i - 1] + 1) >> 2);
                output[o++] = (byte)((v + input[i + 1] + 2) >> 2);
            }
            v = input[n - 1];
            output[o++] = (byte)((v * 3 + input[n - 2] + 1) >> 2);
            output[o] = (byte)v;
        }

        /// <summary>One output row of h2v2_fancy_upsample: 3/4 of the nearer row plus 1/4 of the other, then the same horizontally.</summary>
        static void H2V2Fancy(ReadOnlySpan<byte> near, ReadOnlySpan<byte> far, Span<byte> output)
        {
            int n = near.Length, o = 0;
            int thisSum = near[0] * 3 + far[0];
            int nextSum = near[1] * 3 + far[1];
            output[o++] = (byte)((thisSum * 4 + 8) >> 4);
            output[o++] = (byte)((thisSum * 3 + nextSum + 7) >> 4);
            int lastSum = thisSum;
            thisSum = nextSum;
            for (int i = 2; i < n; i++)
            {
                nextSum = near[i] * 3 + far[i];
                output[o++] = (byte)((thisSum * 3 + lastSum + 8) >> 4);
                output[o++] = (byte)((thisSum * 3 + nextSum + 7) >> 4);
                lastSum = thisSum;
                thisSum = nextSum;
            }
            output[o++] = (byte)((thisSum * 3 + lastSum + 8) >> 4);
            output[o] = (byte)((thisSum * 4 + 7) >> 4);
        }

        public RgbImage ToRgb()
        {
            if (!frameSeen) throw new ImageDecodeException("JPEG: no frame header.");
            var rgb = new RgbImage(width, height);
            var px = rgb.Pixels;
            if (components.Length == 1)
            {
                var (p, dw, _) = ComponentPlane(components[0]);
                for (int y = 0; y < height; y++)
                    for (int x = 0; x < width; x++)
                    {
                        byte v = p[y * dw + x];
                        int o = (y * width + x) * 3;
                        px[o] = v; px[o + 1] = v; px[o + 2] = v;
                    }
                return rgb;
            }

            var planes = new byte[3][];
            var strides = new int[3];
            for (int c = 0; c < 3; c++) planes[c] = Upsample(components[c], out strides[c]);

            // jdapimin.c default_decompress_parms: JFIF -> YCbCr; Adobe transform 0 -> RGB; component ids 'R','G','B' -> RGB.
            bool isRgb = !jfif && ((adobe && adobeTransform == 0) ||
                                   (!adobe && components[0].Id == 'R' && components[1].Id == 'G' && components[2].Id == 'B'));
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    int a = planes[0][y * strides[0] + x], b = planes[1][y * strides[1] + x], cc = planes[2][y * strides[2] + x];
                    int o = (y * width + x) * 3;
                    if (isRgb)
                    {
                        px[o] = (byte)a; px[o + 1] = (byte)b; px[o + 2] = (byte)cc;
                        continue;
                    }
                    px[o] = Clamp(a + CrR[cc]);
                    px[o + 1] = Clamp(a + (int)((CbG[b] + CrG[cc]) >> 16));
                    px[o + 2] = Clamp(a + CbB[b]);
                }
            return rgb;
        }

        static byte Clamp(int v) => v < 0 ? (byte)0 : v > 255 ? (byte)255 : (byte)v;
    }
}
