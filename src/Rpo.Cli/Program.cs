return await Rpo.Cli.RpoApp.RunAsync(args);
