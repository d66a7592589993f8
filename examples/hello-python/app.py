"""A first function: greets whoever the event names, and shows a little of where it runs."""
import os
import platform


def handler(event, context):
    name = (event or {}).get("name", "world")
    print(f"greeting {name} from {context.function_name} ({context.aws_request_id})")
    return {
        "message": f"Hello, {name}!",
        "python": platform.python_version(),
        "memoryLimitMB": int(context.memory_limit_in_mb),
        "remainingMs": context.get_remaining_time_in_millis(),
        "runsAs": os.getuid(),
    }
