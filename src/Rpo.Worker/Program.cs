// The GPU worker's job loop arrives with the Azure issue; until then the container states what it lacks.
Console.Error.WriteLine("rpo-worker: no job source is configured (Service Bus job processing is not built yet).");
return 1;
