// onnx-proto is CommonJS and arrives with @xenova/transformers; its protobufjs classes
// write real ONNX bytes that onnxruntime loads like any exporter's output.
import onnxProto from 'onnx-proto';

export const { onnx } = onnxProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;

const { FLOAT, INT64 } = onnx.TensorProto.DataType;

/** An int64 `[batch, seq]` graph input (input_ids, attention_mask, token_type_ids). */
export function int64SequenceInput(name: string): ValueInfoProto {
  return { name, type: { tensorType: { elemType: INT64, shape: { dim: [{ dimParam: 'batch' }, { dimParam: 'seq' }] } } } };
}

/** A float `[batch, seq, hidden]` graph output (last_hidden_state). */
export function hiddenStateOutput(name: string, hidden: number): ValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimParam: 'seq' }, { dimValue: hidden }] } } },
  };
}

/** An INT attribute. */
export function intAttr(name: string, i: number): AttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i };
}

export function floatAttr(name: string, f: number): AttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.FLOAT, f };
}

export function intsAttr(name: string, ints: number[]): AttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints };
}

export function stringAttr(name: string, s: string): AttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(s) };
}

/** A float32 initializer stored as raw little-endian bytes (compact and fast to encode). */
export function floatTensor(name: string, dims: number[], values: Float32Array): TensorProto {
  checkSize(name, dims, values.length);
  return { name, dataType: FLOAT, dims, rawData: littleEndianBytes(values) };
}

/** A uint8 initializer. */
export function uint8Tensor(name: string, dims: number[], values: Uint8Array): TensorProto {
  checkSize(name, dims, values.length);
  return { name, dataType: onnx.TensorProto.DataType.UINT8, dims, rawData: values };
}

/** An int64 initializer (small: shapes, axes, indices). */
export function int64Tensor(name: string, dims: number[], values: number[]): TensorProto {
  checkSize(name, dims, values.length);
  return { name, dataType: INT64, dims, int64Data: values };
}

function checkSize(name: string, dims: number[], length: number): void {
  const want = dims.reduce((n, d) => n * d, 1);
  if (want !== length) throw new RangeError(`initializer ${name}: dims [${dims.join(', ')}] need ${want} values, got ${length}`);
}

function littleEndianBytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return out;
}

/** Collects nodes and initializers, naming each node after its first output. */
export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private counter = 0;

  /** A fresh tensor name with the given stem. */
  fresh(stem: string): string {
    return `${stem}_${this.counter++}`;
  }

  /** Adds a node; returns its (single) output name, `out` or a fresh one. */
  op(opType: string, inputs: string[], attribute: AttributeProto[] = [], out?: string): string {
    const output = out ?? this.fresh(opType.toLowerCase());
    this.nodes.push({ opType, input: inputs, output: [output], name: `${opType}:${output}`, attribute });
    return output;
  }

  init(tensor: TensorProto): string {
    this.initializers.push(tensor);
    return tensor.name!;
  }
}

export interface EncodeModelOptions {
  irVersion: number;
  opset: number;
  producerName: string;
  docString?: string;
}

/** Serialises a graph as an ONNX ModelProto. */
export function encodeModel(graph: GraphProto, options: EncodeModelOptions): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: options.irVersion,
    producerName: options.producerName,
    ...(options.docString ? { docString: options.docString } : {}),
    opsetImport: [{ domain: '', version: options.opset }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}
