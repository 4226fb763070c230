import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

import { DataError } from './data-errors.js';
import type { ImageDataset, ImageFile } from './dataset-types.js';

/** File extensions read as images (the formats the runtime's image preprocessing decodes). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg', '.webp'];

export interface ImageFolderOptions {
  /**
   * Class names in model output order (the manifest's labels). Each subfolder must be one of
   * them and takes its index. Without it, classes are the subfolder names in sorted order, as
   * torchvision's ImageFolder and Keras' image_dataset_from_directory number them.
   */
  classNames?: readonly string[];
  /** Model output classes; the folder count may not exceed it. */
  classCount?: number;
  maxRows?: number;
}

/**
 * Lists a folder with one subfolder per class. Only paths are listed: bytes are read batch by
 * batch by `datasetBatches`, so a large image set never sits in memory at once.
 *
 * Policy for other files, chosen so that the evaluated set is exactly what the user sees:
 * hidden files (`.DS_Store`, `._x.png`) are skipped; any other file in a class folder that is
 * not .png/.jpg/.jpeg/.webp is an error (EF_COMPILE_DATA_IMAGE), not a silent skip, because
 * skipping would report accuracy on fewer images than the folder holds; images placed beside
 * the class folders, or nested folders, are errors too (EF_COMPILE_DATA_CLASSES). `maxRows`
 * takes images round-robin over the classes so a capped set still covers every class.
 *
 * @throws DataError EF_COMPILE_DATA_CLASSES, EF_COMPILE_DATA_IMAGE, EF_COMPILE_DATA_EMPTY.
 * @example
 * const data = await loadImageFolder('fixtures/data/retail/eval');
 * data.classes; // -> ['apple', 'bottle', 'box', 'can']
 */
export async function loadImageFolder(
  root: string,
  options: ImageFolderOptions = {},
): Promise<ImageDataset> {
  const entries = await listVisible(root);
  const folders: string[] = [];
  for (const entry of entries) {
    if (await isDirectory(root, entry)) folders.push(entry.name);
    else if (hasImageExtension(entry.name)) {
      throw new DataError(
        'EF_COMPILE_DATA_CLASSES',
        `${path.join(root, entry.name)}: an image outside the class subfolders; put every image in a subfolder named after its class`,
        { file: path.join(root, entry.name) },
      );
    }
  }
  folders.sort();
  if (folders.length === 0) {
    throw new DataError(
      'EF_COMPILE_DATA_CLASSES',
      `${root}: the image folder has no class subfolders (expected ${root}/<class>/<image>.png)`,
      { file: root },
    );
  }
  const classes = options.classNames !== undefined ? [...options.classNames] : folders;
  checkClassFolders(root, folders, classes, options.classCount);

  const perClass: ImageFile[][] = [];
  for (const folder of folders) {
    perClass.push(await listClassImages(root, folder, classes.indexOf(folder)));
  }
  const files = pickFiles(perClass, options.maxRows ?? Infinity);
  if (files.length === 0) {
    throw new DataError(
      'EF_COMPILE_DATA_EMPTY',
      `${root}: the class folders (${folders.join(', ')}) hold no images`,
      { file: root },
    );
  }
  return { kind: 'images', classes, files, source: root };
}

function checkClassFolders(
  root: string,
  folders: readonly string[],
  classes: readonly string[],
  classCount: number | undefined,
): void {
  const unknown = folders.filter((f) => !classes.includes(f));
  if (unknown.length > 0) {
    throw new DataError(
      'EF_COMPILE_DATA_CLASSES',
      `${root}: class folder(s) ${unknown.join(', ')} are not among the model's classes (${classes.join(', ')})`,
      { file: root, unknown, classes: [...classes] },
    );
  }
  // Without names, a missing class folder would shift every later class index by one and
  // score a good model as bad, so the folder count must equal the model's class count.
  const named = classes !== folders;
  if (
    classCount !== undefined &&
    (named ? classes.length > classCount : folders.length !== classCount)
  ) {
    throw new DataError(
      'EF_COMPILE_DATA_CLASSES',
      `${root}: ${classes.length} classes (${classes.join(', ')}) but the model outputs ${classCount}${named ? '' : '; a class without a folder needs the class names to keep the indices right'}`,
      { file: root, classes: [...classes], classCount },
    );
  }
}

async function listClassImages(root: string, folder: string, label: number): Promise<ImageFile[]> {
  const dir = path.join(root, folder);
  const files: ImageFile[] = [];
  for (const entry of await listVisible(dir)) {
    const file = path.join(dir, entry.name);
    if (await isDirectory(dir, entry)) {
      throw new DataError(
        'EF_COMPILE_DATA_CLASSES',
        `${file}: a folder inside class folder "${folder}"; images must sit directly in their class folder`,
        { file },
      );
    }
    if (!hasImageExtension(entry.name)) {
      throw new DataError(
        'EF_COMPILE_DATA_IMAGE',
        `${file}: not an image (.png, .jpg, .jpeg or .webp); remove it from the class folder "${folder}"`,
        { file },
      );
    }
    files.push({ path: file, label });
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Up to maxRows files, round-robin over classes, returned in class then file order. */
function pickFiles(perClass: readonly ImageFile[][], maxRows: number): ImageFile[] {
  const total = perClass.reduce((n, files) => n + files.length, 0);
  if (total <= maxRows) return perClass.flat();
  const taken = perClass.map(() => 0);
  let count = 0;
  for (let round = 0; count < maxRows; round++) {
    perClass.forEach((files, c) => {
      if (count < maxRows && round < files.length) {
        taken[c]!++;
        count++;
      }
    });
  }
  return perClass.flatMap((files, c) => files.slice(0, taken[c]));
}

async function listVisible(dir: string): Promise<Dirent[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new DataError(
      'EF_COMPILE_DATA_NOT_FOUND',
      `${dir}: the folder cannot be read`,
      { file: dir },
      { cause: err },
    );
  }
  // Hidden files are OS and tool metadata (.DS_Store, AppleDouble ._x.png), never samples.
  return entries.filter((e) => !e.name.startsWith('.'));
}

async function isDirectory(dir: string, entry: Dirent): Promise<boolean> {
  if (!entry.isSymbolicLink()) return entry.isDirectory();
  try {
    return (await stat(path.join(dir, entry.name))).isDirectory();
  } catch {
    return false;
  }
}

function hasImageExtension(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase());
}
