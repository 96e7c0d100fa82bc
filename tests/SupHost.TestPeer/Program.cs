using SupHost.Client;
using SupHost.Protocol;

// Usage:
//   peer connect RUNDIR full|restricted [open TYPE NAME]   prints "OK <session>" or "STATUS <name>"
//   peer hold RUNDIR OBJECTS FACTORIES                     registers, prints "READY <session>", waits for stdin to close
//   peer hold-module RUNDIR MODULE | hold-memory RUNDIR PAGES | hold-events RUNDIR COUNT
//   peer protect-fault RUNDIR PAGES | map-received SOCKET LENGTH | hold-gip RUNDIR | gip-write-fault RUNDIR
//   peer intnet-open RUNDIR NETWORK | intnet-hold RUNDIR NETWORK       opens an IntNet interface ("OK <created>"; or holds it)
//   peer intnet-peer RUNDIR NETWORK                      an interface through SupHost.Client, driven line by line on stdin (IntNetPeer.cs)
//   peer alloc RUNDIR PAGES lock|nolock                    allocates (and locks) once, prints "OK" or "STATUS <name>"
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: peer connect RUNDIR full|restricted [open TYPE NAME] | peer hold RUNDIR OBJECTS FACTORIES");
    return 2;
}

string runDir = args[1];
try
{
    switch (args[0])
    {
        case "connect":
        {
            var endpoint = string.Equals(args[2], "restricted", StringComparison.Ordinal) ? SupEndpoint.Restricted : SupEndpoint.Full;
            using SupClient client = SupClient.Connect(new SupClientOptions { RunDirectory = runDir, Endpoint = endpoint });
            if (args.Length >= 6 && string.Equals(args[3], "open", StringComparison.Ordinal))
            {
                client.OpenObject((ObjectTypeId)uint.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture), args[5]);
            }
            else
            {
                client.Nop();
            }

            Console.WriteLine($"OK {client.SessionId}");
            return 0;
        }

        case "hold":
        {
            using SupClient client = SupClient.Connect(new SupClientOptions { RunDirectory = runDir });
            int objects = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
            int factories = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture);
            for (int i = 0; i < objects; i++)
            {
                ulong handle = client.RegisterObject(ObjectTypeId.Vm, $"held-{Environment.ProcessId}-{i}");
                client.AddReference(handle);
            }

            for (int i = 0; i < factories; i++)
            {
                client.RegisterFactory($"held-factory-{i}", [Guid.NewGuid()]);
            }

            Console.WriteLine($"READY {client.SessionId}");
            Console.Out.Flush();
            _ = Console.In.ReadToEnd();
            return 0;
        }

        case "hold-module":
        {
            // Opens and loads a module (sample-registry: and creates a counter object), then waits.
            using SupClient client = SupClient.Connect(new SupClientOptions { RunDirectory = runDir });
            ModuleOpenReply open = client.OpenModule(args[2]);
            client.LoadModule(open.Handle);
            if (string.Equals(args[2], "sample-registry", StringComparison.Ordinal))
            {
                client.CallModule(client.GetSymbol(open.Handle, "CreateCounter"), 0, 0, [], 8);
            }

            Console.WriteLine($"READY {client.SessionId}");
            Console.Out.Flush();
            _ = Console.In.ReadToEnd();
            return 0;
        }

        case "intnet-open":
        case "intnet-hold":
        {
            // Opens an interface on network args[2] with the intnet module's raw Open call (a
            // 216-byte OpenRequest, trunk type None): intnet-open prints "OK <created>" and exits,
            // intnet-hold prints "READY <session>" and waits to be killed.
            using SupClient client = SupClient.Connect(new SupClientOptions { RunDirectory = runDir });
            ModuleOpenReply open = client.OpenModule("intnet");
            client.LoadModule(open.Handle);
            byte[] request = new byte[216];
            request[0] = 1;
            request[8] = 1;
            System.Text.Encoding.UTF8.GetBytes(args[2]).CopyTo(request, 24);
            SupReply reply = client.CallModule(client.GetSymbol(open.Handle, "Open"), 0, 0, request, 40, [], out IReadOnlyList<SupHost.Native.SafeFd> received);
            foreach (SupHost.Native.SafeFd fd in received)
            {
                fd.Dispose();
            }

            if (string.Equals(args[0], "intnet-open", StringComparison.Ordinal))
            {
                Console.WriteLine($"OK {reply.Payload[8]}");
                return 0;
            }

            Console.WriteLine($"READY {client.SessionId}");
            Console.Out.Flush();
            _ = Console.In.ReadToEnd();
            return 0;
        }

        case "intnet-peer":
            return SupHost.TestPeer.IntNetPeer.Run(runDir, args[2]);

        case "hold-memory":
        {
            // Allocates pages, writes them, then waits to be killed.
            using SupClient client = SupClient.Connect(new SupClientOptions { RunDirectory = runDir });
            SharedMemory memory = client.AllocatePages(uint.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture), locked: true);
            memory.Span.Fill(0x77);
            Console.WriteLine($"READY {client.SessionId}");
            Console.Out.Flush();
            _ = Console.In.ReadToEnd();
            GC.KeepAlive(memory);
            return 0;
        }

        case "hold-events":
        {
            // Creates events, half auto-reset and half multi, signals them, then waits to be killed.
            using SupClient client = SupClient.Connect(new SupClientOptions { RunDirectory = runDir });
            var events = new List<EventSemaphore>();
            for (int i = 0; i < int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture); i++)
            {
                events.Add(client.CreateEvent(i % 2 == 0 ? EventKind.AutoReset : EventKind.Multi));
                events[^1].Signal();
            }

            Console.WriteLine($"READY {client.SessionId}");
            Console.Out.Flush();
            _ = Console.In.ReadToEnd();
            GC.KeepAlive(events);
            return 0;
        }

        case "call-module":
        {
            // Loads a module and calls one entry point with an argument; the call may block until the peer is killed.
            using SupClient client = SupClient.Connect(new SupClientOptions { RunDirectory = runDir, Timeout = TimeSpan.FromMinutes(5) });
            ModuleOpenReply open = client.OpenModule(args[2]);
            try
            {
                client.LoadModule(open.Handle);
            }
            catch (SupException ex) when (ex.Status == SupStatus.ModuleInitFailed)
            {
                // test-flaky fails its first init on purpose.
                client.LoadModule(open.Handle);
            }

            ulong symbol = client.GetSymbol(open.Handle, args[3]);
            client.RegisterObject(ObjectTypeId.Vm);
            Console.WriteLine($"READY {client.SessionId}");
            Console.Out.Flush();
            client.CallModule(symbol, 0, ulong.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture));
            return 0;
        }

        case "silent":
        {
            // Opens connections that never send anything, then waits for stdin to close.
            var sockets = new List<SupHost.Native.SafeFd>();
            string path = Path.Combine(runDir, string.Equals(args[2], "restricted", StringComparison.Ordinal) ? ProtocolConstants.RestrictedSocketName : ProtocolConstants.FullSocketName);
            for (int i = 0; i < int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture); i++)
            {
                SupHost.Native.SafeFd socket = SupHost.Native.Libc.Socket(SupHost.Native.Libc.AF_UNIX, SupHost.Native.Libc.SOCK_SEQPACKET);
                SupHost.Native.Libc.Connect(socket, path);
                sockets.Add(socket);
            }

            Console.WriteLine($"READY {sockets.Count}");
            Console.Out.Flush();
            _ = Console.In.ReadToEnd();
            sockets.ForEach(s => s.Dispose());
            return 0;
        }

        case "hold-gip":
        {
            // Maps the GIP through the restricted endpoint, then waits to be killed.
            using SupClient client = SupClient.Connect(new SupClientOptions { RunDirectory = runDir, Endpoint = SupEndpoint.Restricted });
            GipMapping gip = client.MapGip();
            Console.WriteLine($"READY {client.SessionId}");
            Console.Out.Flush();
            _ = Console.In.ReadToEnd();
            GC.KeepAlive(gip);
            return 0;
        }

        case "gip-write-fault":
        {
            // Maps the GIP, reads its magic, then writes to it: the write faults (the mapping is read-only).
            using SupClient client = SupClient.Connect(new SupClientOptions { RunDirectory = runDir, Endpoint = SupEndpoint.Restricted });
            using GipMapping gip = client.MapGip();
            Console.WriteLine($"READ {gip.Snapshot().Magic}");
            Console.Out.Flush();
            unsafe
            {
                *(uint*)gip.Mapping.DangerousGetHandle() = 0;
            }

            Console.WriteLine("WROTE");
            return 0;
        }

        case "protect-fault":
        {
            // Makes its second page read-only, then writes the first (fine) and the second (faults).
            using SupClient client = SupClient.Connect(new SupClientOptions { RunDirectory = runDir });
            using SharedMemory memory = client.AllocatePages(uint.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
            memory.Protect(4096, 4096, PageProtection.Read);
            memory.Span[0] = 1;
            Console.WriteLine("WROTE first page");
            Console.Out.Flush();
            memory.Span[4096] = 1;
            Console.WriteLine("WROTE second page");
            return 0;
        }

        case "alloc":
        {
            using SupClient client = SupClient.Connect(new SupClientOptions { RunDirectory = runDir });
            bool locked = string.Equals(args[3], "lock", StringComparison.Ordinal);
            using SharedMemory memory = client.AllocatePages(uint.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture), locked);
            Console.WriteLine("OK");
            return 0;
        }

        case "map-received":
        {
            // Receives a memory descriptor over a Unix socket, maps it, prints its first 8 bytes and writes 8 at 4096.
            using SupHost.Native.SafeFd socket = SupHost.Native.Libc.Socket(SupHost.Native.Libc.AF_UNIX, SupHost.Native.Libc.SOCK_SEQPACKET);
            SupHost.Native.Libc.Connect(socket, args[1]);
            var fds = new List<SupHost.Native.SafeFd>();
            unsafe
            {
                byte* buffer = stackalloc byte[16];
                SupHost.Native.Libc.ReceiveMessage(socket, buffer, 16, fds);
            }

            using SupHost.Native.SafeFd memoryFd = fds.Single();
            using SupHost.Native.MappedMemory map = SupHost.Native.Libc.Map(memoryFd, long.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture), SupHost.Native.Libc.PROT_READ | SupHost.Native.Libc.PROT_WRITE);
            Console.WriteLine($"READ {Convert.ToHexStringLower(map.AsSpan()[..8])}");
            "from the peer"u8.CopyTo(map.AsSpan()[4096..]);
            Console.WriteLine("WROTE");
            return 0;
        }

        default:
            Console.Error.WriteLine($"unknown command {args[0]}");
            return 2;
    }
}
catch (SupException ex)
{
    Console.WriteLine($"STATUS {ex.Status}");
    Console.Error.WriteLine(ex.Message);
    return 3;
}
