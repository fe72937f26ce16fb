// What an upload is, decided from its first bytes only: the name and the declared Content-Type are
// the client's word and are never trusted. Anything outside these lists is refused.
import type * as FileType from 'file-type'
import type { FileKind } from './tables.js'

export const FILE_KINDS: readonly FileKind[] = ['image', 'video', 'audio', 'document']

/** Bytes read before deciding; enough for file-type to look inside zip-based office documents. */
export const DETECTION_BYTES = 64 * 1024

// Raster formats only: SVG can carry script, and browsers render what we serve.
const IMAGES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif', 'image/heic', 'image/heif', 'image/bmp', 'image/tiff'])

/** What sharp (as shipped) decodes, so what saveImage accepts. */
export const DECODABLE_IMAGES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif', 'image/tiff'])

const DOCUMENTS = new Set([
  'application/pdf',
  'application/rtf',
  'application/epub+zip',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation',
  // Legacy .doc/.xls/.ppt share one container format.
  'application/x-cfb',
  'text/plain',
])

export interface Detected {
  mime: string
  ext: string
  kind: FileKind
}

let fileTypeModule: Promise<typeof FileType> | null = null

// Text has no magic number: accept it when the sample is valid UTF-8 with no control characters
// other than tab, line feed, carriage return and form feed.
function looksLikeText(head: Buffer): boolean {
  if (head.length === 0) return false
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true })
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0c && c !== 0x0d) || c === 0x7f) return false
    }
    return true
  } catch {
    return false
  }
}

export function kindOf(mime: string): FileKind | null {
  if (IMAGES.has(mime)) return 'image'
  if (mime.startsWith('video/')) return 'video'
  if (mime.startsWith('audio/')) return 'audio'
  if (DOCUMENTS.has(mime)) return 'document'
  return null
}

/** The type of a file from its first bytes; null when it is not one we accept. */
export async function detect(head: Buffer): Promise<Detected | null> {
  fileTypeModule ??= import('file-type')
  const { fileTypeFromBuffer } = await fileTypeModule
  const found = await fileTypeFromBuffer(head)
  if (!found) return looksLikeText(head) ? { mime: 'text/plain', ext: 'txt', kind: 'document' } : null
  const kind = kindOf(found.mime)
  return kind ? { mime: found.mime, ext: found.ext, kind } : null
}
