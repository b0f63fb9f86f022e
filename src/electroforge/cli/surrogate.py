"""``electroforge surrogate``: the neural field surrogates (train a calendering model;
calender a user's voxel image with one)."""

from __future__ import annotations

import argparse
import sys

from electroforge.cli.options import _bounded, command_line, count, seed
from electroforge.errors import InputError

#: Voxels a user's image may have at the model's voxel size (the U-Net's activations take
#: about 1 kB a voxel on the CPU: 16 M voxels, e.g. 256 x 256 x 256, need ~16 GB).
MAX_VOXELS = 16_777_216


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "surrogate", help="neural field surrogates: train a calendering model, calender an "
        "image",
        description="The 3D neural surrogates of the line (electroforge.surrogates.fields).")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True,
                                    parser_class=type(parser))
    train = actions.add_parser(
        "train", help="train a field surrogate on frame series",
        description="Train the calendering surrogate on the series of `electroforge line "
        "frames`; a checkpoint after every epoch lets an interrupted training resume when "
        "run again with the same arguments.")
    train.add_argument("kind", choices=("calendering",), help="the surrogate to train")
    train.add_argument("frames", metavar="FRAMES_DIR", help="a folder of `line frames`")
    train.add_argument("--out", required=True, metavar="MODEL.safetensors")
    train.add_argument("--task", choices=("direct", "next"), default="direct",
                       help="direct: dried structure and CR to the final one (default); "
                       "next: each frame from the one before")
    train.add_argument("--epochs", type=count, default=20, help="passes over the data (20)")
    train.add_argument("--seed", type=seed, default=0, help="seed of weights and order (0)")
    train.add_argument("--width", type=count, default=8, help="channels of the first level (8)")
    train.add_argument("--crop", type=count, default=None, metavar="N",
                       help="train on random N x N columns of the box (default: the whole box)")
    train.add_argument("--batch-size", type=count, default=4, help="samples per step (4)")
    train.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    train.add_argument("--pushforward-from", type=_bounded(int, 0), default=None,
                       metavar="EPOCH",
                       help="next task: from this epoch (from 0) on, feed the model its own "
                       "prediction of each source frame, so that a rollout's errors do not "
                       "compound (default: never)")
    train.add_argument("--jump-fraction", type=_bounded(float, 0.0, 1.0), default=None,
                       metavar="F",
                       help="next task: train this share of the samples on the large steps "
                       "that `surrogate calender` and the line take (dried structure to a "
                       "loading frame, last loading frame to an unloading one), the "
                       "source's strain a condition (default: none; on the line's frames "
                       "it raised the voxel R2 and worsened the properties: README)")
    train.set_defaults(handler=run_train)
    image = actions.add_parser(
        "calender", help="calender a labelled voxel image of a dried electrode",
        description="Predict the calendered structure of a user's labelled voxel image of a "
        "dried electrode (e.g. a segmented tomography; z through the thickness first, from "
        "the current collector) with a calendering model, and measure both with the line's "
        "property code (the line's material constants). Labels: 0 pore, 1 CBD, 2 AM (3 void "
        "above the film), or a two-phase image (0 pore, 1 solid) with --cbd-fraction: the "
        "CBD is then taken as that share of the solid nearest the pore. The image is "
        "resampled (nearest voxel) to the model's voxel size, and treated as periodic in "
        "plane, as the line's box is.")
    image.add_argument("image", metavar="IMAGE.npy", help="3D integer labels (.npy)")
    image.add_argument("--cr", type=_bounded(float, 0.0, 60.0), required=True, metavar="PCT",
                       help="calendering compression, %% of the dried thickness")
    image.add_argument("--voxel-um", type=_bounded(float, 1e-3, 100.0), required=True,
                       metavar="UM", help="the image's voxel size in um")
    image.add_argument("--model", metavar="MODEL.safetensors",
                       help="a calendering model (default: the shipped next-frame one)")
    image.add_argument("--cbd-fraction", type=_bounded(float, 0.0, 0.99), metavar="F",
                       help="two-phase image: the CBD share of the solid volume (e.g. 0.1)")
    image.add_argument("--decode", choices=("voxels", "particles"), default="voxels",
                       help="voxels: the network's phases (default); particles: the dried "
                       "AM moved as rigid spheres to the film height the model states, the "
                       "CBD laid by the line's rule (on the line's held-out series: the "
                       "pore-AM and AM-CBD contacts and the conductivity better, the "
                       "tortuosity factor and the pore-CBD contact worse: README)")
    image.add_argument("--out", required=True, metavar="OUT.npy",
                       help="the calendered labels, at the model's voxel size")
    image.add_argument("--properties", metavar="FILE.json",
                       help="also write the properties before and after (JSON)")
    image.set_defaults(handler=run_calender)


def run_train(args: argparse.Namespace) -> int:
    from electroforge.datasets.frames import read_frames
    from electroforge.paths import check_output_file
    from electroforge.surrogates.fields.training import train_calendering

    read_frames(args.frames)                     # a readable folder, before any work
    check_output_file(args.out, option="--out", suffixes=(".safetensors",),
                      inputs=[args.frames])
    check_output_file(args.out + ".checkpoint", option="--out", inputs=[args.frames])
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise InputError("no CUDA device here", field="--device", value="cuda",
                             allowed="cpu on this machine")

    def progress(epoch: int, loss: float) -> None:
        print(f"\r  epoch {epoch:>3}/{args.epochs}  loss {loss:.4f}" + " " * 20,
              file=sys.stderr, flush=True)

    def batch_progress(epoch: int, done: int, total: int) -> None:
        if sys.stderr.isatty():                  # a live count, not a log line per batch
            print(f"\r  epoch {epoch:>3}/{args.epochs}  {done}/{total} samples",
                  end="", file=sys.stderr, flush=True)

    header = train_calendering(args.frames, args.out, task=args.task, epochs=args.epochs,
                               seed=args.seed, width=args.width, device=args.device,
                               crop=args.crop, batch_size=args.batch_size,
                               pushforward_from=args.pushforward_from,
                               jump_fraction=args.jump_fraction,
                               header={"command": command_line(args.argv)},
                               progress=progress, batch_progress=batch_progress)
    print(f"wrote {args.out}: {args.task} calendering model, {args.epochs} epochs, data "
          f"sha256 {header['data_sha256'][:12]}")
    return 0


def run_calender(args: argparse.Namespace) -> int:
    import json

    import numpy as np

    from electroforge.atomic import atomic_path, atomic_write_text
    from electroforge.line.film import image_properties
    from electroforge.line.materials import LineParameters
    from electroforge.paths import check_input_file, check_output_file
    from electroforge.surrogates.fields.baselines import film_height
    from electroforge.surrogates.fields.calendering import load_calendering_model
    from electroforge.surrogates.fields.images import read_label_image, resample_labels

    check_input_file(args.image, suffixes=(".npy",), what="image")
    if args.model:
        check_input_file(args.model, suffixes=(".safetensors",), what="model")
    inputs = [args.image, args.model]
    check_output_file(args.out, option="--out", suffixes=(".npy",), inputs=inputs)
    if args.properties:
        check_output_file(args.properties, option="--properties", suffixes=(".json",),
                          inputs=[*inputs, args.out])
    model = load_calendering_model(args.model)
    dried = read_label_image(args.image, cbd_fraction=args.cbd_fraction)
    dried = resample_labels(dried, args.voxel_um, model.voxel_um)
    if film_height(dried) < 4:
        raise InputError("the image holds no film at the model's voxel size",
                         source=args.image, field="labels",
                         value=f"{film_height(dried)} layers of film",
                         allowed=f"at least 4 layers of {model.voxel_um:g} um")
    if dried.size > MAX_VOXELS:
        raise InputError("the image is too large for the network at the model's voxel size",
                         source=args.image, field="--voxel-um",
                         value=f"{args.voxel_um:g} um -> {' x '.join(map(str, dried.shape))}",
                         allowed=f"at most {MAX_VOXELS:,} voxels at {model.voxel_um:g} um "
                         "(crop the image, e.g. to 256 x 256 in plane)")
    calendered = model.calender(dried, args.cr, decode=args.decode)
    params = LineParameters()
    measured = {name: image_properties(image[:film_height(image)], voxel_um=model.voxel_um,
                                       params=params)
                for name, image in (("dried", dried), ("calendered", calendered))}
    with atomic_path(args.out) as temporary:
        with open(temporary, "wb") as handle:
            np.save(handle, calendered)
    if args.properties:
        content = {"image": args.image, "cr_pct": args.cr, "voxel_um": model.voxel_um,
                   "model": model.source, "decode": args.decode, "properties": measured}
        atomic_write_text(args.properties, json.dumps(content, indent=1) + "\n")
    print(f"calendered {args.image} at CR {args.cr:g} % with {model.source} "
          f"({args.decode}, {model.voxel_um:g} um voxels, "
          f"{' x '.join(map(str, calendered.shape))}): wrote {args.out}")
    print(f"  {'property':<24}{'dried':>12}{'calendered':>12}")
    for name in ("thickness_um", "porosity", "density_g_cm3", "tortuosity_factor",
                 "conductivity_s_m", "active_surface_pct"):
        print(f"  {name:<24}{measured['dried'][name]:>12.4g}"
              f"{measured['calendered'][name]:>12.4g}")
    return 0
