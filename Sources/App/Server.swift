public import Hummingbird
public import Logging
public import Postgres
public import Prometheus
import ServiceLifecycle

/// Builds the HTTP application: routes, middleware and the services that share its lifecycle.
public enum Server {
    /// The router with every endpoint mounted; also what in-process tests drive.
    public static func makeRouter(
        readiness: DatabaseReadiness, registry: PrometheusCollectorRegistry
    ) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.addMiddleware {
            RequestLogMiddleware()
            MetricsMiddleware()
        }
        router.addRoutes(HealthController(readiness: readiness).endpoints)
        router.addRoutes(MetricsController(registry: registry).endpoints)
        return router
    }

    /// The application, with the database client and readiness monitor as services: on graceful
    /// shutdown the server stops accepting, finishes in-flight requests, then they stop.
    public static func makeApplication(
        configuration: AppConfiguration,
        client: PostgresClient,
        readiness: DatabaseReadiness,
        registry: PrometheusCollectorRegistry,
        logger: Logger,
        onServerRunning: @escaping @Sendable (String) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: makeRouter(readiness: readiness, registry: registry),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.httpHost, port: configuration.httpPort),
                serverName: "mpshook"
            ),
            services: [client, readiness],
            onServerRunning: { channel in
                await onServerRunning(channel.localAddress.map { "\($0)" } ?? "unknown")
            },
            logger: logger
        )
    }
}
