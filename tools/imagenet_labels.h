/* ImageNet-1k class names in torchvision's order (tools/imagenet_labels.c). */
#ifndef RN_TOOLS_IMAGENET_LABELS_H
#define RN_TOOLS_IMAGENET_LABELS_H
extern const char *const rn_imagenet_labels[1000];
#endif
