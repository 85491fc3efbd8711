using Together.Server;

var app = TogetherApp.Create(args);
await app.RunAsync();
