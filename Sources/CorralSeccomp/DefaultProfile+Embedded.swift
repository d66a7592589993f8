let embeddedDefaultProfileJSON = ##"""
{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": []}
"""##
