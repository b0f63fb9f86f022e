"""``electroforge surrogate``: the neural field surrogates (train; more to come)."""

from __future__ import annotations

import argparse
import sys

from electroforge.cli.options import command_line, count, seed
from electroforge.errors import InputError


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "surrogate", help="neural field surrogates: train the calendering model",
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
    train.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    train.set_defaults(handler=run_train)


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
        print(f"  epoch {epoch:>3}/{args.epochs}  loss {loss:.4f}", file=sys.stderr,
              flush=True)

    header = train_calendering(args.frames, args.out, task=args.task, epochs=args.epochs,
                               seed=args.seed, width=args.width, device=args.device,
                               header={"command": command_line(args.argv)},
                               progress=progress)
    print(f"wrote {args.out}: {args.task} calendering model, {args.epochs} epochs, data "
          f"sha256 {header['data_sha256'][:12]}")
    return 0
