"""Our side of Inngest: the client factory, the event catalogue and app sync.

Named after the SDK it wraps; inside `lib` absolute imports still reach the SDK
as `import inngest`.
"""
