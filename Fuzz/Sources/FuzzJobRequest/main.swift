import FuzzSupport
import API

// Input: a job body, as POST /v1/jobs and `mpshook submit --file` read it.
runFuzzer { data, count in
    JobRequestProperties.check(bytes(data, count))
    return 0
}
