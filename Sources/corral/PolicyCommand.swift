import ArgumentParser

/// `corral policy`: IAM-style policy documents worked on locally, with the server's own engine and no
/// server. Each subcommand lives in its own file.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Work with IAM-style policy documents locally: no server, no credentials.",
        discussion: """
            Examples:
              corral policy simulate --policy ci.json --action lambda:InvokeFunction \\
                  --resource arn:aws:lambda:us-east-1:111122223333:function:my-fn
            """,
        subcommands: [PolicySimulateCommand.self])
}
