using SupHost.Client;
using SupHost.Protocol;

// Usage:
//   peer connect RUNDIR full|restricted [open TYPE NAME]   prints "OK <session>" or "STATUS <name>"
//   peer hold RUNDIR OBJECTS FACTORIES                     registers, prints "READY <session>", waits for stdin to close
if (args.Length < 3)
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
