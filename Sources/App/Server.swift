public import Curl
public import Hummingbird
import Intake
public import API
public import Logging
import MPS
import MPSTransport
public import Store
public import Postgres
public import Prometheus
public import ServiceLifecycle
import StepDispatch
import Webhooks

/// Builds the HTTP application: routes, middleware and the services that share its lifecycle.
public enum Server {
    /// The router with every endpoint mounted; also what in-process tests drive. Whatever a route
    /// throws is answered as problem+json (``ProblemMiddleware``), after the request log and the
    /// HTTP metrics, so both see the status the client gets. Every request's id and client
    /// address are found first (trusting the proxies of `clientAddress`), so every line logged
    /// for it carries both, and its answer the id (`X-Request-Id`).
    public static func makeRouter(
        readiness: DatabaseReadiness, registry: PrometheusCollectorRegistry, intake: [(IntakeController<APIRequestContext>, String)] = [],
        api: RESTAPI? = nil, clientAddress: ClientAddressRule = ClientAddressRule()
    ) -> Router<APIRequestContext> {
        // The HTTP metrics make their series from the routes up front: built once without them
        // to list the routes, then for real.
        let listed = Router(context: APIRequestContext.self)
        addEndpoints(to: listed, readiness: readiness, registry: registry, intake: intake, api: api)
        let router = Router(context: APIRequestContext.self)
        router.addMiddleware {
            RequestIdMiddleware(rule: clientAddress)
            ClientAddressMiddleware(rule: clientAddress)
            RequestLogMiddleware()
            HTTPMetricsMiddleware(routes: listed.routes.map { ($0.path.description, $0.method) })
            ProblemMiddleware()
        }
        addEndpoints(to: router, readiness: readiness, registry: registry, intake: intake, api: api)
        return router
    }

    private static func addEndpoints(
        to router: Router<APIRequestContext>, readiness: DatabaseReadiness, registry: PrometheusCollectorRegistry,
        intake: [(IntakeController<APIRequestContext>, String)], api: RESTAPI?
    ) {
        router.addRoutes(HealthController(readiness: readiness).endpoints)
        router.addRoutes(MetricsController(registry: registry).endpoints)
        for (controller, path) in intake {
            router.addRoutes(controller.endpoints(path: path))
        }
        api?.mount(on: router)
    }

    /// The spine's services for `configuration`: with callback keys, the NotifyUrl door (its
    /// writer) and the applier; with MPS credentials as well, the dispatcher. With `readiness`,
    /// the door's commits stalling or failing make the replica not ready. The applier, dispatcher
    /// and webhook deliverer wait on `listener`, the process's one LISTEN session (run by the
    /// caller); without it, the spine makes one and lists it first among its services.
    public static func makeSpine(
        configuration: AppConfiguration, client: PostgresClient, http: CurlClient, logger: Logger, readiness: DatabaseReadiness? = nil,
        listener shared: PostgresListener? = nil, catalog: WorkflowCatalog = WorkflowCatalog()
    ) -> (services: [any Service], intake: [(IntakeController<APIRequestContext>, String)]) {
        guard let callbacks = configuration.callbacks else { return ([], []) }
        let tuning = configuration.tuning
        let listener = shared ?? PostgresListener(client: client, logger: logger)
        let committer = GroupCommitter(
            client: client, batchSize: tuning.intakeBatchSize, linger: tuning.intakeLinger, writers: tuning.intakeWriters,
            limits: GroupCommitter.Limits(rows: tuning.intakeQueueLimit, bytes: tuning.intakeQueueBytes), logger: logger
        )
        readiness?.require { committer.health.reason }
        let intakeConfiguration = IntakeConfiguration(
                tokens: callbacks.tokens,
                verifier: NotificationVerifier(notifyKey: callbacks.notifyKey, allowedSkew: Int64(tuning.notifySkewSeconds)),
                maximumBodySize: tuning.notifyMaximumBody,
                storeTimeout: tuning.notifyStoreTimeout,
                forwardedForHeader: tuning.forwardedForHeader,
                trustedProxies: tuning.trustedProxies
        )
        var doors = [(IntakeController<APIRequestContext>(configuration: intakeConfiguration, committer: committer), callbacks.notifyPath)]
        if tuning.benchmarkBaselines {
            logger.warning("benchmark baselines are mounted: \(callbacks.notifyPath)/_baseline/* answer without the group commit")
            doors.append((IntakeController(configuration: intakeConfiguration, storage: .discard), callbacks.notifyPath + "/_baseline/discard"))
            doors.append((
                IntakeController(configuration: intakeConfiguration, storage: .insertPerRequest(NotificationStore(client: client))),
                callbacks.notifyPath + "/_baseline/insert"
            ))
        }
        // The listener first: services stop in reverse order, so it outlives its subscribers.
        var services: [any Service] = shared == nil ? [listener, committer] : [committer]
        if tuning.applierEnabled {
            services.append(Applier(
                client: client, batchSize: tuning.applierBatchSize, workers: tuning.applierWorkers, catalog: catalog, listener: listener,
                logger: logger
            ))
        }
        if let credentials = configuration.credentials {
            let mps = MPSClient(
                configuration: MPSClientConfiguration(
                    endpoint: configuration.mpsEndpoint, credentials: credentials, totalTimeout: tuning.mpsTimeout
                ),
                http: http
            )
            services.append(Dispatcher(
                configuration: DispatchConfiguration(
                    publicBaseURL: callbacks.publicBaseURL, notifyPath: callbacks.notifyPath, notifyKey: callbacks.notifyKey,
                    callsPerSecond: tuning.mpsCallsPerSecond, concurrency: tuning.dispatchConcurrency,
                    // For claims without a lease (an older version's): longer than any call can
                    // take, so a live call is never taken for abandoned.
                    abandonedAfter: max(.seconds(120), tuning.mpsTimeout * 2),
                    claimLease: tuning.claimLease, recoveryInterval: tuning.recoveryInterval
                ),
                client: client, mps: mps, tokens: callbacks.tokens, logger: logger, listener: listener
            ))
            if configuration.reconciler.enabled {
                services.append(Reconciler(configuration: configuration.reconciler, client: client, mps: mps, logger: logger))
            }
        } else {
            logger.warning("TENCENTCLOUD_SECRET_ID/KEY not set: steps are not submitted (the dispatcher is off)")
        }
        // Its own thread pool and concurrency: a slow receiver never holds up MPS calls or the door.
        if !configuration.webhooks.secrets.isEmpty {
            services.append(WebhookDeliverer(configuration: configuration.webhooks, client: client, logger: logger, listener: listener))
        } else if configuration.webhooks.defaultURL != nil {
            logger.warning("MPSHOOK_WEBHOOK_DEFAULT_URL is set but MPSHOOK_WEBHOOK_KEYS is not: webhooks wait in the outbox unsent")
        }
        return (services, doors)
    }

    /// The HTTP timeouts and connection limit: the configured limit, or one derived from the
    /// descriptors left free (the limit less those `held` now, inherited ones included) with a
    /// reserve for database sessions, outgoing calls and files (``ConnectionLimits/reserve(for:)``).
    /// A configured limit above that budget is lowered to it: beyond it the process would run
    /// out of descriptors, where NIO's listener spins and libdispatch traps.
    static func connectionLimits(
        configuration: AppConfiguration, descriptorLimit: Int? = DescriptorLimit.current()?.soft,
        held: Int? = DescriptorLimit.openCount(), logger: Logger
    ) -> ConnectionLimits {
        let settings = configuration.connections
        let reserve = ConnectionLimits.reserve(for: configuration)
        let held = held ?? 0
        let budget = ConnectionLimits.automaticMaximum(descriptorLimit: descriptorLimit ?? 1024, held: held, reserve: reserve)
        if let descriptorLimit, descriptorLimit - held - reserve < budget {
            logger.warning(
                "the descriptor limit leaves little room: raise it (ulimit -n) or lower the pool and concurrency settings",
                metadata: ["fd.limit": "\(descriptorLimit)", "fd.held": "\(held)", "fd.reserve": "\(reserve)", "http.max_connections": "\(budget)"]
            )
        }
        var maximum = settings.maximumConnections ?? budget
        if maximum > budget, let descriptorLimit, descriptorLimit - held - reserve < maximum {
            logger.warning(
                "MPSHOOK_HTTP_MAX_CONNECTIONS is above what the descriptor limit allows: lowered",
                metadata: ["http.max_connections": "\(budget)", "fd.limit": "\(descriptorLimit)"]
            )
            maximum = budget
        }
        logger.info(
            "http connection limits",
            metadata: [
                "http.max_connections": "\(maximum)", "http.idle_timeout": "\(settings.idleTimeout)",
                "http.header_timeout": "\(settings.headerTimeout)", "http.body_timeout": "\(settings.bodyTimeout)",
            ]
        )
        return ConnectionLimits(
            idleTimeout: settings.idleTimeout, headerTimeout: settings.headerTimeout, bodyTimeout: settings.bodyTimeout,
            maximumConnections: maximum
        )
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
        // One LISTEN session for the whole process: the spine's services and the event stream share it.
        let listener = PostgresListener(client: client, logger: logger)
        // One cache of workflow definitions for the process: the applier plans with it, the API creates jobs with it.
        let catalog = WorkflowCatalog()
        let spine = makeSpine(
            configuration: configuration, client: client, http: http, logger: logger, readiness: readiness, listener: listener, catalog: catalog
        )
        // Runs with the API off too: it also prunes the change feed the triggers keep writing.
        let broadcaster = EventBroadcaster(client: client, listener: listener, configuration: configuration.events, logger: logger)
        let api = configuration.servesAPI
            ? RESTAPI(
                client: client, catalog: catalog, callbacks: configuration.callbackPolicy, events: broadcaster,
                maximumEventStreams: configuration.maximumEventStreams
            )
            : nil
        let connectionGuard = ConnectionGuard(limits: connectionLimits(configuration: configuration, logger: logger), logger: logger)
        // Listed before the server, so they stop after it: in-flight callbacks still commit,
        // and the guard keeps closing stalled connections while the server drains.
        return Application(
            router: makeRouter(
                readiness: readiness, registry: registry, intake: spine.intake, api: api,
                clientAddress: ClientAddressRule(header: configuration.tuning.forwardedForHeader, proxies: configuration.tuning.trustedProxies)
            ),
            server: .guardedHTTP1(
                connectionGuard: connectionGuard,
                maximumBodySize: max(configuration.tuning.notifyMaximumBody, JobsConfiguration().maximumBodySize)
            ),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.httpHost, port: configuration.httpPort),
                serverName: "mpshook",
                availableConnectionsDelegate: connectionGuard.gate
            ),
            services: [
                connectionGuard, client, readiness, listener, broadcaster, StatsRollup(client: client, logger: logger),
                WorkloadGauges(client: client, readiness: readiness, logger: logger),
            ] + spine.services + (configuration.retention.enabled
                ? [Retention(client: client, configuration: configuration.retention, logger: logger)] : []),
            onServerRunning: { channel in
                await onServerRunning(channel.localAddress.map { "\($0)" } ?? "unknown")
            },
            logger: logger
        )
    }
}
