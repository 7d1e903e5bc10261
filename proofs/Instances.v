(** * Concrete instances, computed from the theorems' definitions

    Each [Compute] below prints the transposed convolution and its flipped
    form on small integer instances, through the twins of [Eval.v] (proved
    equal to the definitions at [R := Z]).  [tests/test_proofs.py] parses this
    output (in order) and compares every number with [tconvmat.conv_transpose]
    and PyTorch's [conv_transpose1d]/[conv_transpose2d] for the same
    parameters and data.  Data: inputs [1, 2, 3, …]; weights [(i mod 5) − 2]
    for the flat index [i]. *)

From Coq Require Import ZArith.
From mathcomp Require Import all_ssreflect all_algebra.
From mathcomp Require Import zify ssrZ.
From TConv Require Import Conv1d NDim Channels Eval.

Set Printing Width 1000.
Local Open Scope Z_scope.

(** ** One axis, one channel: the learner's example

    Kernel [[1, 1, 1]], input [[1, 1]], strides 1, 2, 4. *)

Definition ones (n : nat) (i : nat) : Z := nth Z0 (nseq n 1) i.
Definition row (ct : (nat -> Z) -> (nat -> Z) -> nat -> nat -> nat -> nat -> nat -> nat -> Z)
    (x w : nat -> Z) (L K s d pb pa op : nat) : seq Z :=
  [seq ct x w L K s d pb j | j <- iota 0 (absz (out_len L K s d pb pa op))].

(* stride 1, 2, 4: scatter form, then flipped form *)
Compute (row conv_transpose1d_Z (ones 2) (ones 3) 2 3 1 1 0 0 0,
         row flipped1d_Z (ones 2) (ones 3) 2 3 1 1 0 0 0).
Compute (row conv_transpose1d_Z (ones 2) (ones 3) 2 3 2 1 0 0 0,
         row flipped1d_Z (ones 2) (ones 3) 2 3 2 1 0 0 0).
Compute (row conv_transpose1d_Z (ones 2) (ones 3) 2 3 4 1 0 0 0,
         row flipped1d_Z (ones 2) (ones 3) 2 3 4 1 0 0 0).

(** The same numbers, checked when the file is built, on the definitions
    themselves (rewritten to their twins, then computed). *)
Example learner_stride2 :
  [seq conv_transpose1d (R := ZR) (ones 2) (ones 3) 2 3 2 1 0 j | j <- iota 0 5]
  = [:: 1; 1; 2; 1; 1].
Proof. by rewrite (eq_map (conv_transpose1d_ZE (ones 2) (ones 3) 2 3 2 1 0)); vm_compute. Qed.

Example learner_stride4 :
  [seq conv_transpose1d (R := ZR) (ones 2) (ones 3) 2 3 4 1 0 j | j <- iota 0 7]
  = [:: 1; 1; 1; 0; 1; 1; 1].
Proof. by rewrite (eq_map (conv_transpose1d_ZE (ones 2) (ones 3) 2 3 4 1 0)); vm_compute. Qed.

(** ** One axis: dilation, asymmetric padding, output padding, cropping *)

Definition iota1 (n : nat) (i : nat) : Z := nth Z0 [seq Z.of_nat t.+1 | t <- iota 0 n] i.
Definition wpat (n : nat) (i : nat) : Z :=
  nth Z0 [seq Z.of_nat (t mod 5) - 2 | t <- iota 0 n] i.

(* L = 3, K = 3, s = 2, d = 2, p_before = 1, p_after = 2, op = 1: P_l = 3, P_r = 3 *)
Compute (row conv_transpose1d_Z (iota1 3) (wpat 3) 3 3 2 2 1 2 1,
         row flipped1d_Z (iota1 3) (wpat 3) 3 3 2 2 1 2 1).
(* L = 3, K = 2, s = 3, d = 1, p_before = 3, p_after = 0: P_l = -2 (a crop), P_r = 1 *)
Compute (row conv_transpose1d_Z (iota1 3) (wpat 2) 3 2 3 1 3 0 0,
         row flipped1d_Z (iota1 3) (wpat 2) 3 2 3 1 3 0 0).

(** Negative controls: the kernel not flipped, or [P_l] off by [d], gives
    other numbers (kernel [[1, 2, 3]], input [[1, 10]], stride 2). *)
Definition k123 (i : nat) : Z := nth Z0 [:: 1; 2; 3] i.
Definition x110 (i : nat) : Z := nth Z0 [:: 1; 10] i.
Example flipped_agrees :
  [seq flipped1d_Z x110 k123 2 3 2 1 0 j | j <- iota 0 5]
  == [seq conv_transpose1d_Z x110 k123 2 3 2 1 0 j | j <- iota 0 5].
Proof. by vm_compute. Qed.
Example unflipped_differs :
  [seq conv1d_Z (pad (R := ZR) (upsample_Z x110 2 2) (up_len 2 2) (P_l 3 1 0)) k123 3 1 1 j
  | j <- iota 0 5]
  != [seq conv_transpose1d_Z x110 k123 2 3 2 1 0 j | j <- iota 0 5].
Proof. by vm_compute. Qed.
Example shifted_pad_differs :
  [seq conv1d_Z (pad (R := ZR) (upsample_Z x110 2 2) (up_len 2 2) (P_l 3 1 0 + 1)%R)
     (flip k123 3) 3 1 1 j | j <- iota 0 5]
  != [seq conv_transpose1d_Z x110 k123 2 3 2 1 0 j | j <- iota 0 5].
Proof. by vm_compute. Qed.

(** ** Channels and groups *)

(** [report] (of [Eval.v]) for input data [1, 2, …] and weight data
    [(i mod 5) − 2]: the output shape, [P_l], [P_r], then the output flat in
    C order by the scatter form and by the flipped form. *)
Definition instance (g n m : nat) (ps : seq axis) :=
  let xsize := foldr muln 1%N ((g * n)%N :: map len ps) in
  let wsize := foldr muln 1%N ((g * n)%N :: m :: map ker ps) in
  report g n m ps [seq Z.of_nat t.+1 | t <- iota 0 xsize]
    [seq Z.of_nat (t mod 5) - 2 | t <- iota 0 wsize].

(* 1-D, g = 2, C_in = 4, C_out = 6, L = 4, K = 3, s = 2, d = 1, p = 1, op = 1 *)
Compute instance 2 2 3 [:: Axis 4 3 2 1 1 1 1].
(* 2-D, g = 2, C_in = 2, C_out = 4, L = (3, 2), K = (2, 3), s = (2, 1), d = (1, 2),
   p = ((1, 0), (0, 2)), op = (1, 0) *)
Compute instance 2 1 2 [:: Axis 3 2 2 1 1 0 1; Axis 2 3 1 2 0 2 0].
