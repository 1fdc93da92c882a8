import App

await MPSHookCommand.start()
