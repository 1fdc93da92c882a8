-- wrk script for deploy/bench/run.sh: POSTs verified MPS notifications (about 3 KB, 1-3 outputs,
-- Change and Finish mode mixed) for the steps `mpshook-bench preload` created.
--
-- [BENCH_DELAY_MS=N] wrk ... -s intake.lua URL -- STEPFILE THREADS OFFSET PATH
--   STEPFILE  the preload's tab-separated file (token, SessionContext, outputs, mode, TaskId)
--   THREADS   wrk's -t, so each thread takes its own share of the sequence
--   OFFSET    where in the sequence to start, so runs never resend one another's notifications
--   PATH      the door's path (the product's, or a baseline's)
--   BENCH_DELAY_MS  (environment) a pause before each request on each connection, for an
--             offered rate rather than a closed loop; read when the script loads, because wrk
--             only calls delay() when the function exists then
--
-- Request k goes to step k mod N, round floor(k / N). Round 0 of a Change-mode step reports
-- PROCESSING; every later round, and round 0 of a Finish-mode step, reports the final state.
-- Each round carries its own BeginProcessTime, so no two requests are the same notification.

local steps = {}
local counter = 0
local offset = 0
local threads = 1
local path = "/mps/notify"
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "")
local timestamp, sign = "0", ""
local headers = { ["Content-Type"] = "application/json" }

local thread_list = {}
function setup(thread)
    thread:set("tid", #thread_list)
    table.insert(thread_list, thread)
end

function init(args)
    threads = tonumber(args[2])
    offset = tonumber(args[3])
    path = args[4]
    for line in io.lines(args[1]) do
        local a, b, c, d, e = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t?([^\t]*)\t?([^\t]*)$")
        if a == "#" then
            timestamp, sign = b, c
        elseif a then
            table.insert(steps, { token = a, context = b, outputs = tonumber(c), mode = d, task = e })
        end
    end
end

local segment = '{"Confidence":98,"StartTimeOffset":%d.25,"EndTimeOffset":%d.75,"Text":"Segment %d of the programme, spoken clearly.","Trans":"","Wordlist":[],"SpeakerId":""}'

local function output(index, status, progress, round)
    local final = status == "SUCCESS" or status == "FAIL"
    local parts = {
        string.format('{"Progress":%d,"Status":"%s","ErrCodeExt":"%s","Message":"%s","BeginProcessTime":"2026-11-25T10:%02d:%02dZ"',
            progress, status, status == "FAIL" and "SourceFileError" or "", status == "FAIL" and "source file error" or status,
            math.floor(round / 60) % 60, round % 60),
    }
    if status == "SUCCESS" then
        local segments = {}
        for s = 1, 5 do segments[s] = string.format(segment, s * 4, s * 4 + 3, s) end
        table.insert(parts, string.format(
            ',"TransTextTask":null,"AsrFullTextTask":{"SegmentSet":[%s],"SubtitlePath":"https://subs-1250000000.cos.ap-guangzhou.myqcloud.com/bench/out_%d_smartsubtitle_0.vtt","OutputStorage":{"Type":"COS","CosOutputStorage":{"Bucket":"subs-1250000000","Region":"ap-guangzhou"}},"Path":"/bench/out_%d_smartsubtitle_0.vtt","SubtitleResults":[]}',
            table.concat(segments, ","), index, index))
    elseif status == "FAIL" then
        table.insert(parts, ',"TransTextTask":null,"AsrFullTextTask":null')
    else
        -- In progress: the recognition so far, no subtitle file yet.
        table.insert(parts, string.format(',"TransTextTask":null,"AsrFullTextTask":{"SegmentSet":[%s],"SubtitlePath":"","OutputStorage":null,"Path":"","SubtitleResults":[]}',
            string.format(segment, 1, 4, 1)))
    end
    table.insert(parts, "}")
    return table.concat(parts)
end

local function body(step, round)
    local final = step.mode == "F" or round > 0
    local inputs, metadata, outputs = {}, {}, {}
    for i = 0, step.outputs - 1 do
        inputs[#inputs + 1] = string.format('{"Type":"URL","UrlInputInfo":{"Url":"https://media.example.com/videos/%s/%d.mp4"},"CosInputInfo":null,"S3InputInfo":null}', step.task, i)
        metadata[#metadata + 1] = '{"Size":12025270,"Container":"mp4","Bitrate":1734778,"Height":1080,"Width":1920,"Duration":55.455,"Rotate":0,"VideoStreamSet":[{"Bitrate":1487136,"Height":1080,"Width":1920,"Codec":"h264","Fps":30}],"AudioStreamSet":[{"Bitrate":252293,"SamplingRate":44100,"Codec":"aac","Channel":2}],"VideoDuration":54.955,"AudioDuration":55.454}'
        local status, progress = "PROCESSING", 40
        if final then
            status, progress = "SUCCESS", 100
            if i == 2 then status = "FAIL" end
        end
        outputs[#outputs + 1] = output(i, status, progress, round)
    end
    return string.format(
        '{"EventType":"BatchTask","WorkflowTaskEvent":null,"EditMediaTaskEvent":null,"ScheduleTaskEvent":null,"BatchTaskEvent":{"InputInfos":[%s],"Metadatas":[%s],"SmartSubtitlesTaskResult":{"Input":{"Definition":0,"RawParameter":{"SubtitleType":0,"VideoSrcLanguage":"en","SubtitleFormat":"vtt","TranslateSwitch":"OFF","AsrHotWordsConfigure":null,"ExtInfo":""},"UserExtPara":""},"Outputs":[%s]}},"SessionId":"","SessionContext":"%s","Timestamp":%s,"Sign":"%s"}',
        table.concat(inputs, ","), table.concat(metadata, ","), table.concat(outputs, ","),
        step.context, timestamp, sign)
end

function request()
    local k = offset + counter * threads + tid
    counter = counter + 1
    local n = #steps
    local step = steps[(k % n) + 1]
    return wrk.format("POST", path .. "?token=" .. step.token, headers, body(step, math.floor(k / n)))
end

if pause then
    function delay()
        return pause
    end
end

function done(summary, latency, requests)
    local non2xx = summary.errors.status
    local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
    io.write(string.format("RESULT requests=%d non2xx=%d errors=%d seconds=%.3f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
        summary.requests, non2xx, errors, summary.duration / 1e6,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
