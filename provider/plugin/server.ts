import * as fs from "node:fs";
import * as path from "node:path";
import type * as grpcTypes from "@grpc/grpc-js";
import { type ClusterTarget, isEmbedded, packageRoot } from "../cluster/target";
import { failuresForEngine } from "../lifecycle/check-failures";
import type { HandlerContext, Progress } from "../lifecycle/context";
import { PartialStateError } from "../lifecycle/errors";
import { ownerKeyOf, type PropertyChange } from "../lifecycle/inputs";
import { checkClusterReachable, checkFixture, checkResultForEngine } from "../lifecycle/reachable";
import { lazy } from "../lifecycle/lazy";
import { isUnknown } from "../lifecycle/unknowns";
import { checkConfig, diffConfig, kubeconfigOf, targetOf } from "./config";
import { EngineLog } from "./engine-log";
import { pluginResources, type PluginResource } from "./resources";
import { Any, Empty, fromStruct, grpc, type JsonObject, pluginProto, providerProto, statusProto, toStruct } from "./rpc";
import { conceal, holdsKubeconfig, isSecret, redact, reveal, secret, secretKeys } from "./secrets";

// The provider plugin's gRPC server, on the stubs @pulumi/pulumi ships. What the stock server of
// @pulumi/pulumi/provider drops is here: the engine's time limit (customTimeouts), the provider's
// configuration, the detailed diff, progress on the resource's row through the engine's Log service,
// secrets, the engine's cancel, and `pulumi import` by name. Everything a resource does is its
// handlers' (provider/kata, provider/mhc); this file only translates.

export interface PluginOptions {
  /** The engine's gRPC address (the plugin's first argument); none when run by hand. */
  engineAddress?: string;
  /** Told when the engine cannot be reached any more. */
  onEngineUnreachable?: (reason: string) => void;
}

/** The backends (a twin with the simulated operators, or a Kubernetes client), loaded when a handler first connects. */
const wiring = lazy(() => import("../wiring/connect"));

type Callback<T> = grpcTypes.sendUnaryData<T>;
type Call<T> = grpcTypes.ServerUnaryCall<T, unknown>;

export class ProviderPlugin {
  private config: JsonObject = {};
  private log: EngineLog;
  private readonly running = new Set<AbortController>();
  readonly version: string;
  private readonly schema: string;

  constructor(private readonly options: PluginOptions = {}) {
    this.log = this.engineLog(options.engineAddress);
    this.schema = fs.readFileSync(path.join(packageRoot(), "schema.json"), "utf8");
    this.version = (JSON.parse(this.schema) as { version: string }).version;
  }

  /** Stop every wait in progress (the engine's cancel, or the engine going away). */
  cancelAll(reason: string): void {
    for (const operation of this.running) operation.abort(new Error(reason));
  }

  /** Operations in progress. */
  get inFlight(): number {
    return this.running.size;
  }

  close(): void {
    this.log.close();
  }

  /** The gRPC service implementation (methods not listed answer UNIMPLEMENTED). */
  service(): grpcTypes.UntypedServiceImplementation {
    return {
      getPluginInfo: this.unary(async () => new pluginProto.PluginInfo().setVersion(this.version)),
      getSchema: this.unary(async (request: providerProto.GetSchemaRequest) => {
        if (request.getVersion() !== 0) throw new Error(`unsupported schema version ${request.getVersion()}`);
        return new providerProto.GetSchemaResponse().setSchema(this.schema);
      }),
      attach: this.unary(async (request: pluginProto.PluginAttach) => {
        this.log.close();
        this.log = this.engineLog(request.getAddress());
        return new Empty();
      }),
      cancel: this.unary(async () => {
        this.cancelAll("the engine cancelled the operation");
        return new Empty();
      }),
      checkConfig: this.unary((request: providerProto.CheckRequest) => this.checkConfig(request)),
      diffConfig: this.unary((request: providerProto.DiffRequest) => this.diffConfig(request)),
      configure: this.unary((request: providerProto.ConfigureRequest) => this.configure(request)),
      check: this.unary((request: providerProto.CheckRequest) => this.check(request)),
      diff: this.unary((request: providerProto.DiffRequest) => this.diff(request)),
      create: this.unary((request: providerProto.CreateRequest) => this.create(request)),
      read: this.unary((request: providerProto.ReadRequest) => this.read(request)),
      update: this.unary((request: providerProto.UpdateRequest) => this.update(request)),
      delete: this.unary((request: providerProto.DeleteRequest) => this.delete(request)),
    };
  }

  // --- configuration -------------------------------------------------------------------------

  private async checkConfig(request: providerProto.CheckRequest): Promise<providerProto.CheckResponse> {
    const news = fromStruct(request.getNews());
    const known = Object.fromEntries(Object.entries(news).filter(([, value]) => !isUnknown(value)));
    const inputs = { ...news, ...(typeof reveal(news.kubeconfig) === "string" ? { kubeconfig: secret(reveal(news.kubeconfig)) } : {}) };
    return new providerProto.CheckResponse().setInputs(toStruct(inputs)).setFailuresList(failuresForEngine(checkConfig(known)).map(checkFailure));
  }

  private async diffConfig(request: providerProto.DiffRequest): Promise<providerProto.DiffResponse> {
    const olds = fromStruct(request.getOldInputs() ?? request.getOlds());
    const news = fromStruct(request.getNews());
    const { changed, replaces } = diffConfig(olds, news);
    const response = new providerProto.DiffResponse()
      .setChanges(changed.length ? providerProto.DiffResponse.DiffChanges.DIFF_SOME : providerProto.DiffResponse.DiffChanges.DIFF_NONE)
      .setDiffsList(changed)
      .setReplacesList(replaces)
      .setHasdetaileddiff(true);
    for (const key of changed) {
      const kind = !(key in olds) ? "add" : !(key in news) ? "delete" : "update";
      response.getDetaileddiffMap().set(key, propertyDiff({ kind, ...(replaces.includes(key) ? { replaceBecause: "another cluster" } : {}) }));
    }
    return response;
  }

  private async configure(request: providerProto.ConfigureRequest): Promise<providerProto.ConfigureResponse> {
    const args = request.getArgs();
    if (args) this.config = fromStruct(args);
    else {
      // Older engines send only `variables`: "cluster-runtime:config:<key>" → string.
      this.config = {};
      for (const [key, value] of request.getVariablesMap().entries()) this.config[key.replace(/^.*:config:/, "")] = value;
    }
    targetOf(this.config); // refuse a bad configuration here, with its property
    return new providerProto.ConfigureResponse().setAcceptsecrets(true).setSupportspreview(false).setAcceptresources(false);
  }

  // --- resources -------------------------------------------------------------------------------

  private async check(request: providerProto.CheckRequest): Promise<providerProto.CheckResponse> {
    const { resource, urn } = this.resourceOf(request.getUrn());
    const news = withDefaults(fromStruct(request.getNews()), urn, resource);
    const plain = reveal(news) as JsonObject;
    return this.operate(request.getUrn(), [plain], new Set(), 0, async (context) => {
      const checked = await checkFixture(await resource.check(reveal(fromStruct(request.getOlds())) as JsonObject, plain));
      // As the dynamic host: a real cluster proved usable (the configured one for a resource that names
      // none), a twin never opened at check; failures path-first, so the engine never prints a value.
      const configured = targetOf(this.config);
      const probe = checked.inputs.cluster === undefined && isEmbedded(configured) ? { ...checked, inputs: { ...checked.inputs, cluster: configured } } : checked;
      const { failures } = checkResultForEngine(await checkClusterReachable(context.handler, probe));
      const safe = failures.map((f) => ({ property: f.property, reason: context.hide(f.reason) }));
      return new providerProto.CheckResponse().setInputs(toStruct(conceal(news, secretKeys(news)))).setFailuresList(safe.map(checkFailure));
    });
  }

  private async diff(request: providerProto.DiffRequest): Promise<providerProto.DiffResponse> {
    const { resource } = this.resourceOf(request.getUrn());
    const olds = this.withConfiguredCluster(reveal(fromStruct(request.getOlds())) as JsonObject);
    const news = this.withConfiguredCluster(reveal(fromStruct(request.getNews())) as JsonObject);
    return this.operate(request.getUrn(), [olds, news], new Set(), 0, async (context) => {
      const result = await resource.diff(context.handler, request.getId(), olds, news);
      const response = new providerProto.DiffResponse()
        .setChanges(result.changes ? providerProto.DiffResponse.DiffChanges.DIFF_SOME : providerProto.DiffResponse.DiffChanges.DIFF_NONE)
        .setReplacesList(topLevel(result.replaces))
        .setDiffsList(topLevel(Object.keys(result.detailedDiff)))
        .setDeletebeforereplace(result.deleteBeforeReplace)
        .setHasdetaileddiff(true);
      for (const [property, change] of Object.entries(result.detailedDiff)) {
        response.getDetaileddiffMap().set(property, propertyDiff(change));
        if (change.replaceBecause) context.progress.line(`${property} changes, which replaces the resource: ${change.replaceBecause}`);
      }
      return response;
    });
  }

  private async create(request: providerProto.CreateRequest): Promise<providerProto.CreateResponse> {
    const { resource } = this.resourceOf(request.getUrn());
    const inputs = fromStruct(request.getProperties());
    const plain = reveal(inputs) as JsonObject;
    const keys = secretKeys(inputs);
    return this.operate(request.getUrn(), [plain], keys, request.getTimeout(), async (context) => {
      const { id, outs } = await resource.create(context.handler, plain);
      return new providerProto.CreateResponse().setId(id).setProperties(toStruct(conceal(outs, keys)));
    });
  }

  private async read(request: providerProto.ReadRequest): Promise<providerProto.ReadResponse> {
    const { resource } = this.resourceOf(request.getUrn());
    const props = fromStruct(request.getProperties());
    const importing = Object.keys(props).length === 0;
    const plain = reveal(props) as JsonObject;
    const keys = secretKeys(props);
    return this.operate(request.getUrn(), [plain], keys, 0, async (context) => {
      const result = await resource.read(context.handler, request.getId(), importing ? {} : plain);
      const response = new providerProto.ReadResponse();
      if (!result.id || !result.props) return response; // gone: the engine drops it from the stack
      response.setId(result.id).setProperties(toStruct(conceal(result.props, keys)));
      // An import adopts the inputs read from the cluster; a refresh keeps the program's.
      const inputs = importing ? (result.inputs ? conceal(result.inputs, new Set()) : undefined) : fromStruct(request.getInputs());
      if (inputs) response.setInputs(toStruct(inputs));
      return response;
    });
  }

  private async update(request: providerProto.UpdateRequest): Promise<providerProto.UpdateResponse> {
    const { resource } = this.resourceOf(request.getUrn());
    const news = fromStruct(request.getNews());
    const olds = reveal(fromStruct(request.getOlds())) as JsonObject;
    const plain = reveal(news) as JsonObject;
    const keys = secretKeys(news);
    return this.operate(request.getUrn(), [olds, plain], keys, request.getTimeout(), async (context) => {
      const { outs } = await resource.update(context.handler, request.getId(), olds, plain);
      return new providerProto.UpdateResponse().setProperties(toStruct(conceal(outs, keys)));
    });
  }

  private async delete(request: providerProto.DeleteRequest): Promise<InstanceType<typeof Empty>> {
    const { resource } = this.resourceOf(request.getUrn());
    const props = fromStruct(request.getProperties());
    const plain = reveal(props) as JsonObject;
    return this.operate(request.getUrn(), [plain], secretKeys(props), request.getTimeout(), async (context) => {
      await resource.remove(context.handler, request.getId(), plain);
      return new Empty();
    });
  }

  // --- one request -----------------------------------------------------------------------------

  /**
   * One resource operation. The handlers get the configured cluster for resources that name none,
   * progress on the resource's row, the engine's cancel, and the engine's time limit (seconds; 0:
   * none); an error goes back as the engine takes it (partial state when the object exists, secrets
   * and kubeconfigs taken out); the messages logged are delivered before the answer.
   */
  private async operate<T>(urn: string, bags: JsonObject[], keys: Set<string>, timeoutSeconds: number, body: (context: { handler: HandlerContext; progress: Progress; hide: (text: string) => string }) => Promise<T>): Promise<T> {
    const operation = new AbortController();
    this.running.add(operation);
    const kubeconfigs = [kubeconfigOf(this.config), ...bags.map((bag) => (holdsKubeconfig(bag.cluster) ? (bag.cluster as { kubeconfig: string }).kubeconfig : undefined))].filter(
      (k): k is string => typeof k === "string",
    );
    const hide = (text: string) => redact(text, kubeconfigs);
    const progress = this.log.progress(urn, hide);
    const handler: HandlerContext = {
      connect: async (target) => {
        const { connect } = await wiring();
        return target ? connect(target) : connect(targetOf(this.config), { kubeconfigSource: "the provider's kubeconfig (cluster-runtime:kubeconfig)" });
      },
      progress: () => progress,
      signal: operation.signal,
      ...(timeoutSeconds > 0 ? { timeoutMs: timeoutSeconds * 1000 } : {}),
    };
    try {
      return await body({ handler, progress, hide });
    } catch (error) {
      throw rpcError(error, hide, keys);
    } finally {
      this.running.delete(operation);
      await this.log.flush();
    }
  }

  /** A resource without its own `cluster` acts on the configured one (for the diff's comparison). */
  private withConfiguredCluster(bag: JsonObject): JsonObject {
    if (bag.cluster !== undefined) return bag;
    const target: ClusterTarget | undefined = targetOf(this.config);
    return target ? { ...bag, cluster: target } : bag;
  }

  private resourceOf(urn: string): { resource: PluginResource; urn: ParsedUrn } {
    const parsed = parseUrn(urn);
    const resource = pluginResources[parsed.type];
    if (!resource) throw new Error(`unknown resource type ${parsed.type}: this plugin serves ${Object.keys(pluginResources).join(", ")}`);
    return { resource, urn: parsed };
  }

  private engineLog(address: string | undefined): EngineLog {
    return new EngineLog(address, { onUnreachable: (reason) => this.options.onEngineUnreachable?.(reason) });
  }

  private unary<Req, Res>(run: (request: Req) => Promise<Res>) {
    return (call: Call<Req>, callback: Callback<Res>) => {
      run(call.request).then(
        (response) => callback(null, response),
        (error: unknown) => callback(isRpcError(error) ? error : rpcError(error, (text) => text, new Set())),
      );
    };
  }
}

interface ParsedUrn {
  stack: string;
  project: string;
  type: string;
  name: string;
}

/** urn:pulumi:<stack>::<project>::<parent type$type>::<name> */
export function parseUrn(urn: string): ParsedUrn {
  const [stack = "", project = "", qualifiedType = "", ...name] = urn.replace(/^urn:pulumi:/, "").split("::");
  return { stack, project, type: qualifiedType.split("$").at(-1) ?? "", name: name.join("::") };
}

/** What the dynamic resources' SDK classes fill in: the object's name (the Pulumi name) and the owner key. */
function withDefaults(news: JsonObject, urn: ParsedUrn, resource: PluginResource): JsonObject {
  const metadata = news.metadata;
  if (isUnknown(metadata)) return { ...news, owner: ownerKeyOf(urn.project, urn.stack, resource.kind, urn.name) };
  const plain = (reveal(metadata) ?? {}) as JsonObject;
  const named = plain.name === undefined ? { ...plain, name: urn.name } : plain;
  return { ...news, metadata: isSecret(metadata) ? secret(named) : named, owner: ownerKeyOf(urn.project, urn.stack, resource.kind, urn.name) };
}

function checkFailure(failure: { property: string; reason: string }): providerProto.CheckFailure {
  return new providerProto.CheckFailure().setProperty(failure.property).setReason(failure.reason);
}

function propertyDiff(change: PropertyChange): providerProto.PropertyDiff {
  const Kind = providerProto.PropertyDiff.Kind;
  const kinds = {
    add: [Kind.ADD, Kind.ADD_REPLACE],
    delete: [Kind.DELETE, Kind.DELETE_REPLACE],
    update: [Kind.UPDATE, Kind.UPDATE_REPLACE],
  } as const;
  return new providerProto.PropertyDiff().setKind(kinds[change.kind][change.replaceBecause ? 1 : 0]).setInputdiff(true);
}

/** "spec.unhealthyConditions[0].timeout" → "spec". */
function topLevel(paths: string[]): string[] {
  return [...new Set(paths.map((p) => p.split(/[.[]/)[0]!))];
}

interface RpcError extends Partial<grpcTypes.StatusObject> {
  code: grpcTypes.status;
  details: string;
  message: string;
  metadata: grpcTypes.Metadata;
}

function isRpcError(error: unknown): error is RpcError {
  return typeof error === "object" && error !== null && "metadata" in error && "code" in error && "details" in error;
}

/**
 * An error for the engine, secrets taken out. A PartialStateError (the object exists, its wait
 * failed) travels as ErrorResourceInitFailed, so the engine keeps the resource with its last status.
 */
function rpcError(error: unknown, hide: (text: string) => string, keys: Set<string>): RpcError {
  const message = hide(error instanceof Error ? error.message : String(error));
  const metadata = new grpc.Metadata();
  if (error instanceof PartialStateError) {
    const status = new statusProto.Status().setCode(grpc.status.UNKNOWN).setMessage(message);
    const detail = new providerProto.ErrorResourceInitFailed()
      .setId(error.id)
      .setProperties(toStruct(conceal(error.properties, keys)))
      .setReasonsList(error.reasons.map(hide));
    const any = new Any();
    any.pack(detail.serializeBinary(), "pulumirpc.ErrorResourceInitFailed");
    status.addDetails(any);
    metadata.add("grpc-status-details-bin", Buffer.from(status.serializeBinary()));
  }
  return { code: grpc.status.UNKNOWN, details: message, message, metadata };
}
