import ArgumentParser

/// `corral policy`: IAM-style policies explained: `simulate` evaluates documents locally with the server's
/// own engine; `effective` asks the server what a function's execution role compiles to. Each subcommand
/// lives in its own file.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Explain policies: simulate a request against policy files (locally), or show a function's effective sandbox (from the server).",
        discussion: """
            Examples:
              corral policy simulate --policy ci.json --action lambda:InvokeFunction \\
                  --resource arn:aws:lambda:us-east-1:111122223333:function:my-fn
              corral policy effective my-fn
            """,
        subcommands: [PolicySimulateCommand.self, PolicyEffectiveCommand.self])
}
