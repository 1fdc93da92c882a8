public import Curl
public import Hummingbird
public import Intake
public import Jobs
public import Logging
import MPS
public import Postgres
public import Prometheus
public import ServiceLifecycle
import StepDispatch

/// Builds the HTTP application: routes, middleware and the services that share its lifecycle.
public enum Server {
    /// The router with every endpoint mounted; also what in-process tests drive.
    public static func makeRouter(
        readiness: DatabaseReadiness, registry: PrometheusCollectorRegistry, intake: (IntakeController<BasicRequestContext>, String)? = nil,
        jobs: JobsController<BasicRequestContext>? = nil
    ) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.addMiddleware {
            RequestLogMiddleware()
            MetricsMiddleware()
        }
        router.addRoutes(HealthController(readiness: readiness).endpoints)
        router.addRoutes(MetricsController(registry: registry).endpoints)
        if let (controller, path) = intake {
            router.addRoutes(controller.endpoints(path: path))
        }
        if let jobs {
            router.addRoutes(jobs.endpoints)
        }
        return router
    }

    /// The spine's services for `configuration`: with callback keys, the NotifyUrl door (its
    /// writer) and the applier; with MPS credentials as well, the dispatcher.
    public static func makeSpine(
        configuration: AppConfiguration, client: PostgresClient, http: CurlClient, logger: Logger
    ) -> (services: [any Service], intake: (IntakeController<BasicRequestContext>, String)?) {
        guard let callbacks = configuration.callbacks else { return ([], nil) }
        let committer = GroupCommitter(client: client, logger: logger)
        let intake = IntakeController<BasicRequestContext>(
            configuration: IntakeConfiguration(
                tokens: callbacks.tokens, verifier: NotificationVerifier(notifyKey: callbacks.notifyKey)
            ),
            committer: committer
        )
        var services: [any Service] = [committer, Applier(client: client, logger: logger)]
        if let credentials = configuration.credentials {
            let mps = MPSClient(
                configuration: MPSClientConfiguration(endpoint: configuration.mpsEndpoint, credentials: credentials),
                http: http
            )
            services.append(Dispatcher(
                configuration: DispatchConfiguration(
                    publicBaseURL: callbacks.publicBaseURL, notifyPath: callbacks.notifyPath, notifyKey: callbacks.notifyKey
                ),
                client: client, mps: mps, tokens: callbacks.tokens, logger: logger
            ))
        } else {
            logger.warning("TENCENTCLOUD_SECRET_ID/KEY not set: steps are not submitted (the dispatcher is off)")
        }
        return (services, (intake, callbacks.notifyPath))
    }

    /// The application, with the database client and readiness monitor as services: on graceful
    /// shutdown the server stops accepting, finishes in-flight requests, then they stop.
    public static func makeApplication(
        configuration: AppConfiguration,
        client: PostgresClient,
        readiness: DatabaseReadiness,
        registry: PrometheusCollectorRegistry,
        http: CurlClient,
        logger: Logger,
        onServerRunning: @escaping @Sendable (String) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let spine = makeSpine(configuration: configuration, client: client, http: http, logger: logger)
        if configuration.jobsAPI == .loopback, !configuration.servesJobsAPI {
            logger.warning("the jobs API is not mounted: MPSHOOK_HTTP_HOST is not a loopback address and it has no authentication yet")
        }
        let jobs = configuration.servesJobsAPI ? JobsController<BasicRequestContext>(client: client) : nil
        // Listed before the server, so they stop after it: in-flight callbacks still commit.
        return Application(
            router: makeRouter(readiness: readiness, registry: registry, intake: spine.intake, jobs: jobs),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.httpHost, port: configuration.httpPort),
                serverName: "mpshook"
            ),
            services: [client, readiness] + spine.services,
            onServerRunning: { channel in
                await onServerRunning(channel.localAddress.map { "\($0)" } ?? "unknown")
            },
            logger: logger
        )
    }
}
