// A request that cannot be run as asked (an unknown variant, --repeat 0, a command and --pid
// together): the CLI prints its message and exits 2, a library caller catches it by class. The CLI
// owns how it is shown, but the lab and the workshop, which sit below the CLI, are the ones that find
// the mistake; so the class lives here, under all of them, and dependencies keep pointing one way.
export class UsageError extends Error {
  override name = 'UsageError';
}
